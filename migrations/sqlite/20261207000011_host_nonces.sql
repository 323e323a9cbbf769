-- A host ticket is bound to the browser that asked for it (src/identity/hosts/nonce.rs): it
-- keeps the SHA-256 of the nonce cookie `/_gitlogin/start` set on the protected host, and is
-- redeemed only where that cookie is. Tickets live 60 s, so those issued before are dropped
-- rather than kept without a nonce.
DROP TABLE host_tickets;
CREATE TABLE host_tickets (
    ticket_hash     TEXT    PRIMARY KEY,
    session_id_hash TEXT    NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    host            TEXT    NOT NULL,
    next            TEXT    NOT NULL, -- the path on that host to go on to
    nonce_hash      TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX host_tickets_expires_at ON host_tickets (expires_at);

-- One host session per main session and host: redeeming a ticket again replaces it. Of the
-- extra rows kept so far, one stays; a browser whose cookie named another signs in again
-- through a ticket, without a trip to GitHub.
DELETE FROM host_sessions WHERE id_hash NOT IN
    (SELECT MIN(id_hash) FROM host_sessions GROUP BY session_id_hash, host);
DROP INDEX host_sessions_session;
CREATE UNIQUE INDEX host_sessions_one_per_host ON host_sessions (session_id_hash, host);
