-- The app registry: the team's other apps that sign people in through gitlogin (OpenID
-- Connect, with redirect URIs) or sit behind its reverse proxy (forward auth, with hosts).
-- Everything an app owns references it ON DELETE CASCADE, so removing the row decommissions
-- the app at once. The client secret is stored only as its SHA-256: it is 256 random bits,
-- so a fast hash is enough, and a copy of this table signs no app in.
CREATE TABLE apps (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    client_id    TEXT    NOT NULL UNIQUE,
    secret_hash  TEXT,                      -- NULL: a public app (PKCE, no secret)
    id_token_alg TEXT    NOT NULL,          -- 'RS256' or 'EdDSA'
    created_at   INTEGER NOT NULL           -- unix seconds
);

-- Exact strings: a redirect URI is matched as registered, never by prefix or case.
CREATE TABLE app_redirect_uris (
    app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind   TEXT    NOT NULL, -- 'login' (redirect_uri) or 'logout' (post_logout_redirect_uri)
    uri    TEXT    NOT NULL,
    PRIMARY KEY (app_id, kind, uri)
);

-- A host belongs to one app: forward auth decides by it.
CREATE TABLE app_hosts (
    app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    host   TEXT    NOT NULL UNIQUE -- lowercased, with its port if it has one
);

CREATE INDEX app_hosts_app_id ON app_hosts (app_id);

-- Who may use the app, on top of the global allow-lists; none means everyone who may sign in.
CREATE TABLE app_rules (
    app_id INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind   TEXT    NOT NULL, -- 'user_id', 'user_login', 'org' or 'team'
    value  TEXT    NOT NULL, -- a GitHub id, a lowercased login, `org` or `org/team`
    PRIMARY KEY (app_id, kind, value)
);
