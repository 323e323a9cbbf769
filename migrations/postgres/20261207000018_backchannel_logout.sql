-- OpenID Connect Back-Channel Logout 1.0 (src/models/logouts.rs).
--
-- Each session's `sid`: random, the same for every app signed in from it, never the session
-- cookie nor derived from it (the cookie's hash is the row's key, and an app must not learn it).
ALTER TABLE sessions ADD COLUMN sid TEXT NOT NULL DEFAULT '';
UPDATE sessions SET sid = md5(random()::text || clock_timestamp()::text);
CREATE UNIQUE INDEX sessions_sid ON sessions (sid);

-- The session a grant was given in: its ID tokens carry that `sid`, refreshed or not. Grants
-- from before this migration get one of their own that no session has.
ALTER TABLE grants ADD COLUMN sid TEXT NOT NULL DEFAULT '';
UPDATE grants SET sid = md5(random()::text || clock_timestamp()::text);

-- Which app got an ID token in which live session, for apps with a back-channel logout URI
-- (kind 'backchannel' in app_redirect_uris): each is told once when that session ends.
CREATE TABLE app_sessions (
    sid    TEXT    NOT NULL,
    app_id BIGINT  NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (sid, app_id)
);
CREATE INDEX app_sessions_app_id ON app_sessions (app_id);

-- The outbox's second kind of message: a logout to tell one app, signed afresh at each
-- attempt (a removed app's rows go with it: it is told nothing).
CREATE TABLE logout_deliveries (
    id              TEXT    PRIMARY KEY,
    app_id          BIGINT  NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    sub             TEXT    NOT NULL,      -- the GitHub id, as the ID tokens' `sub`
    sid             TEXT    NOT NULL,
    attempts        BIGINT  NOT NULL,      -- deliveries tried so far
    next_attempt_at BIGINT  NOT NULL       -- unix seconds; also a sender's claim on the row
);
CREATE INDEX logout_deliveries_next_attempt_at ON logout_deliveries (next_attempt_at);
