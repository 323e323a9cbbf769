-- The OpenID Connect provider's state (src/provider/). Codes and tokens are 256 random bits
-- kept only as their SHA-256, like sessions: a copy of this store signs nobody in anywhere.
-- Everything hangs off an app and a person ON DELETE CASCADE, so removing the app (or the
-- person deleting their account) ends all of it at once.

-- What a person said yes to, per app: asked again only for a scope not yet granted, or
-- after they revoke it on the About page.
CREATE TABLE consents (
    app_id     BIGINT  NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,         -- every scope granted, space-separated
    granted_at BIGINT  NOT NULL,
    PRIMARY KEY (app_id, user_id)
);

-- An authorization request waiting for its visitor to sign in or answer the consent page:
-- kept here rather than in `next`, which is capped, so a request of any length comes back.
CREATE TABLE authorize_requests (
    id_hash    TEXT    PRIMARY KEY,
    app_id     BIGINT  NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    request    TEXT    NOT NULL,         -- the checked request, as JSON
    expires_at BIGINT  NOT NULL
);

-- One per code issued: the code and every token issued from it, its refresh tokens' family.
-- Deleting the grant revokes all of them (a replayed code, a reused refresh token).
CREATE TABLE grants (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id     BIGINT  NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,         -- space-separated, as granted
    nonce      TEXT    NOT NULL,         -- '' when the request had none
    auth_time  BIGINT  NOT NULL,         -- when the person signed in to gitlogin
    created_at BIGINT  NOT NULL
);

CREATE TABLE codes (
    code_hash      TEXT    PRIMARY KEY,
    grant_id       BIGINT  NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    code_challenge TEXT    NOT NULL,     -- '' when the app sent none (confidential apps only)
    expires_at     BIGINT  NOT NULL,
    used           BIGINT  NOT NULL      -- 1 once redeemed: a second use revokes the grant
);

CREATE TABLE tokens (
    token_hash TEXT    PRIMARY KEY,
    grant_id   BIGINT  NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,         -- 'access' or 'refresh'
    expires_at BIGINT  NOT NULL,
    used       BIGINT  NOT NULL          -- a refresh token already exchanged: reuse revokes
);

CREATE INDEX grants_app_user ON grants (app_id, user_id);
CREATE INDEX codes_grant ON codes (grant_id);
CREATE INDEX tokens_grant ON tokens (grant_id);
-- The purge (src/auth/purge.rs) deletes what has expired.
CREATE INDEX authorize_requests_expires_at ON authorize_requests (expires_at);
CREATE INDEX codes_expires_at ON codes (expires_at);
CREATE INDEX tokens_expires_at ON tokens (expires_at);
