-- A bare login in ALLOWED_GITHUB_USERS means the account that first signed in under it
-- (src/auth/access.rs): GitHub frees renamed and deleted logins for anyone to claim, so "whoever
-- holds `alice` today" is not one person. Not tied to `users`: the pin outlives a deleted
-- account, so its login still cannot be claimed by someone else.
CREATE TABLE login_pins (
    login     TEXT    PRIMARY KEY, -- lowercased, as written in ALLOWED_GITHUB_USERS
    github_id INTEGER NOT NULL,
    pinned_at INTEGER NOT NULL     -- unix seconds
);

CREATE INDEX login_pins_github_id ON login_pins (github_id);
