-- The app registry (see migrations/sqlite for why each table is as it is), in PostgreSQL's types.
CREATE TABLE apps (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT   NOT NULL UNIQUE,
    client_id    TEXT   NOT NULL UNIQUE,
    secret_hash  TEXT,                     -- NULL: a public app (PKCE, no secret)
    id_token_alg TEXT   NOT NULL,          -- 'RS256' or 'EdDSA'
    created_at   BIGINT NOT NULL           -- unix seconds
);

CREATE TABLE app_redirect_uris (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind   TEXT   NOT NULL, -- 'login' or 'logout'
    uri    TEXT   NOT NULL,
    PRIMARY KEY (app_id, kind, uri)
);

CREATE TABLE app_hosts (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    host   TEXT   NOT NULL UNIQUE
);

CREATE INDEX app_hosts_app_id ON app_hosts (app_id);

CREATE TABLE app_rules (
    app_id BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind   TEXT   NOT NULL, -- 'user_id', 'user_login', 'org' or 'team'
    value  TEXT   NOT NULL,
    PRIMARY KEY (app_id, kind, value)
);
