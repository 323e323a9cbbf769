-- A bare login in ALLOWED_GITHUB_USERS means the account that first signed in under it
-- (see migrations/sqlite for why; the same table in PostgreSQL's types).
CREATE TABLE login_pins (
    login     TEXT   PRIMARY KEY, -- lowercased, as written in ALLOWED_GITHUB_USERS
    github_id BIGINT NOT NULL,
    pinned_at BIGINT NOT NULL     -- unix seconds
);

CREATE INDEX login_pins_github_id ON login_pins (github_id);
