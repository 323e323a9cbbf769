-- When GitHub last confirmed a user's memberships (their last sign-in, which asks it afresh).
-- Where an organisation or team decides access, memberships older than MEMBERSHIP_RECHECK are
-- asked of GitHub again (src/auth/access.rs). 0 for people who signed in before this column:
-- asked at their next visit.
ALTER TABLE users ADD COLUMN memberships_verified_at BIGINT NOT NULL DEFAULT 0;

-- GitHub webhook deliveries already acted on, by X-GitHub-Delivery: a redelivery changes
-- nothing twice (src/auth/webhook.rs). The purge forgets them after a week.
CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at);
