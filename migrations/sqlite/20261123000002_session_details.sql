-- What a person needs to recognise their sessions on the About page, and an index for the
-- purge of idle sessions (absolute expiry already has `sessions_expires_at`).
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
