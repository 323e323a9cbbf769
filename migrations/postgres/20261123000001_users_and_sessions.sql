-- The same tables as migrations/sqlite, in PostgreSQL's types. Every integer is BIGINT, so
-- both backends hand the app the same i64s. An identity column is never reused, like
-- SQLite's AUTOINCREMENT: a deleted account's id is never handed to someone else.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    github_id     BIGINT NOT NULL UNIQUE, -- GitHub's numeric id; `login` can change
    login         TEXT   NOT NULL,
    name          TEXT,
    email         TEXT,
    avatar_url    TEXT,
    created_at    BIGINT NOT NULL, -- unix seconds, first sign-in
    updated_at    BIGINT NOT NULL, -- unix seconds, last time GitHub's data was copied in
    last_login_at BIGINT NOT NULL  -- unix seconds
);

-- Server-side sessions; only the SHA-256 of the browser's random id is stored.
CREATE TABLE sessions (
    id_hash      TEXT   PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
