-- APIs (OAuth 2 resource servers, RFC 9068) and service accounts in the registry, and the
-- JWT access tokens issued for APIs (src/provider/). Everything hangs off an app ON DELETE
-- CASCADE, like the rest of the registry: removing an API, or an app it accepts, ends the
-- tokens between them at once.

-- 1: a service account, which may get tokens as itself (client_credentials, RFC 6749 §4.4).
ALTER TABLE apps ADD COLUMN service INTEGER NOT NULL DEFAULT 0;

CREATE TABLE apis (
    app_id   INTEGER PRIMARY KEY REFERENCES apps (id) ON DELETE CASCADE,
    audience TEXT    NOT NULL UNIQUE -- exactly as registered: compared as a string
);

CREATE TABLE api_scopes (
    api_id INTEGER NOT NULL REFERENCES apis (app_id) ON DELETE CASCADE,
    scope  TEXT    NOT NULL,
    PRIMARY KEY (api_id, scope)
);

-- A scope with rows here goes only to whom they name; one without, to everyone the API admits.
CREATE TABLE api_scope_grants (
    api_id     INTEGER NOT NULL REFERENCES apis (app_id) ON DELETE CASCADE,
    scope      TEXT    NOT NULL,
    kind       TEXT    NOT NULL, -- 'user_id', 'user_login', 'org', 'team' (as app_rules) or 'service'
    value      TEXT    NOT NULL, -- for 'service', the service app's id
    -- For 'service' only; NULL once that app is removed, so that the scope then goes to no
    -- one, rather than to everyone as a scope without grants would.
    service_id INTEGER REFERENCES apps (id) ON DELETE SET NULL,
    PRIMARY KEY (api_id, scope, kind, value)
);

-- The apps that may get tokens for an API (`--accept`, `apps accept`).
CREATE TABLE api_accepts (
    api_id        INTEGER NOT NULL REFERENCES apis (app_id) ON DELETE CASCADE,
    client_app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    PRIMARY KEY (api_id, client_app_id)
);

-- Every JWT access token issued, by its `jti`: introspection calls one live only while its
-- row is here. Revocation, `apps reject` and the end of its grant delete it; the purge
-- deletes it once expired.
CREATE TABLE api_tokens (
    jti           TEXT    PRIMARY KEY,
    api_id        INTEGER NOT NULL REFERENCES apis (app_id) ON DELETE CASCADE,
    client_app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    grant_id      INTEGER REFERENCES grants (id) ON DELETE CASCADE, -- NULL: a service's own token
    expires_at    INTEGER NOT NULL
);
CREATE INDEX api_tokens_api_client ON api_tokens (api_id, client_app_id);
CREATE INDEX api_tokens_grant ON api_tokens (grant_id);
CREATE INDEX api_tokens_expires_at ON api_tokens (expires_at);

-- When each opaque token was issued, for introspection's `iat` (RFC 7662 §2.2); 0 for the
-- tokens issued before this column, all of which have expired.
ALTER TABLE tokens ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;

-- What a person said yes to for an API, per app: asked again only for a scope not yet
-- granted to that app for that API, or after they revoke the app on the About page.
CREATE TABLE api_consents (
    app_id     INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_id     INTEGER NOT NULL REFERENCES apis (app_id) ON DELETE CASCADE,
    scope      TEXT NOT NULL, -- every scope of the API granted, space-separated
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id, api_id)
);

-- The APIs a code was issued for (`resource` at authorize), with the scopes the person was
-- granted for each: what its tokens may later be asked for (RFC 8707 §2.2).
CREATE TABLE grant_apis (
    grant_id INTEGER NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    api_id   INTEGER NOT NULL REFERENCES apis (app_id) ON DELETE CASCADE,
    scope    TEXT NOT NULL,
    PRIMARY KEY (grant_id, api_id)
);
