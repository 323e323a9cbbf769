-- The SHA-256 of each webhook delivery's body. GitHub signs the body, not the X-GitHub-Delivery
-- id, so a captured delivery replayed under a new id is known by its body (src/auth/webhook.rs).
-- Kept and purged with the delivery id; '' for deliveries recorded before this column.
ALTER TABLE webhook_deliveries ADD COLUMN body_sha256 TEXT NOT NULL DEFAULT '';
CREATE INDEX webhook_deliveries_body ON webhook_deliveries (body_sha256);

-- Memberships the webhook said have ended, numbered in the order the store received them: a
-- sign-in that asked GitHub before one arrived honours it when it records what GitHub said
-- (src/auth/access.rs). Purged with the deliveries.
CREATE TABLE membership_removals (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    github_id   BIGINT  NOT NULL,
    org         TEXT    NOT NULL, -- an organisation, or a team as org/team-slug
    received_at BIGINT  NOT NULL
);
CREATE INDEX membership_removals_github_id ON membership_removals (github_id, id);
CREATE INDEX membership_removals_received_at ON membership_removals (received_at);
