-- The allowed organisations a user belonged to at their last sign-in (`ALLOWED_GITHUB_ORGS`).
-- Read by `/auth/check`, which cannot ask GitHub: the access token is dropped at sign-in.
CREATE TABLE memberships (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org     TEXT    NOT NULL, -- lowercased organisation login
    PRIMARY KEY (user_id, org)
);
