-- What the About page says of each grant a person holds (src/models/live_grants.rs): how it
-- started, and when its code or a refresh token was last redeemed (0: never since it began).
ALTER TABLE grants ADD COLUMN origin TEXT NOT NULL DEFAULT 'browser'; -- or 'device' (RFC 8628)
ALTER TABLE grants ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
-- The About page asks for one person's grants on every view: by person, not by app first.
CREATE INDEX grants_user ON grants (user_id);
