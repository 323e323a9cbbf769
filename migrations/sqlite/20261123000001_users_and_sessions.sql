-- Users are keyed by GitHub's numeric id, which never changes. `login` is only a label:
-- people rename themselves and a freed login can be taken by someone else, so it is not unique.
-- AUTOINCREMENT: a deleted account's id is never handed to someone else.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    github_id     INTEGER NOT NULL UNIQUE,
    login         TEXT    NOT NULL,
    name          TEXT,
    email         TEXT,
    avatar_url    TEXT,
    created_at    INTEGER NOT NULL, -- unix seconds, first sign-in
    updated_at    INTEGER NOT NULL, -- unix seconds, last time GitHub's data was copied in
    last_login_at INTEGER NOT NULL  -- unix seconds
);

-- Server-side sessions. The browser holds a random id; only its SHA-256 is stored, so a copy
-- of this table cannot be replayed as cookies. Deleting the row ends the session everywhere.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
