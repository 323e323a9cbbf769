-- The device authorization grant (RFC 8628, src/provider/device*.rs): apps that may use it,
-- the requests waiting for their person, and the wrong user codes each person has typed.

ALTER TABLE apps ADD COLUMN device BIGINT NOT NULL DEFAULT 0;

-- One row per device authorization request, until it expires (the purge deletes it). Once
-- allowed, the grant waits as a code in `codes` whose hash is `device_code_hash`, so the
-- device's redemption is a code's: used once, and a second one revokes what the first issued.
CREATE TABLE device_requests (
    device_code_hash TEXT    PRIMARY KEY,
    user_code_hash   TEXT    NOT NULL UNIQUE,
    app_id           BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    request          TEXT    NOT NULL, -- the checked request (scope, APIs), as JSON
    state            TEXT    NOT NULL DEFAULT 'pending', -- 'pending', 'allowed' or 'denied'
    interval_secs    BIGINT NOT NULL,
    last_poll_at     BIGINT NOT NULL DEFAULT 0,
    expires_at       BIGINT NOT NULL
);

-- Wrong user codes per person (not per session: signing in again must not reset them).
CREATE TABLE user_code_failures (
    user_id      BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures     BIGINT NOT NULL,
    first_at     BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);
