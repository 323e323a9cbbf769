ALTER TABLE sessions ADD COLUMN user_agent TEXT;
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
