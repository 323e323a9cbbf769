CREATE TABLE memberships (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org     TEXT   NOT NULL, -- lowercased organisation login
    PRIMARY KEY (user_id, org)
);
