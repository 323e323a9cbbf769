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

-- One sign-in in front of many hosts (src/identity/hosts.rs). A ticket carries a signed-in
-- person from gitlogin's host to a protected host once: 256 random bits kept as their SHA-256,
-- single use, 60 s, bound to that host and to the main session it was issued for.
CREATE TABLE host_tickets (
    ticket_hash     TEXT    PRIMARY KEY,
    session_id_hash TEXT    NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    host            TEXT    NOT NULL,
    next            TEXT    NOT NULL, -- the path on that host to go on to
    expires_at      BIGINT NOT NULL
);
CREATE INDEX host_tickets_expires_at ON host_tickets (expires_at);

-- The protected host's own cookie, a child of the main session: signing out at gitlogin (or
-- the session ending any other way) ends it on every host.
CREATE TABLE host_sessions (
    id_hash         TEXT    PRIMARY KEY,
    session_id_hash TEXT    NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    host            TEXT    NOT NULL
);
CREATE INDEX host_sessions_session ON host_sessions (session_id_hash);
