-- The outbox of events for the operator's other systems (EVENTS_URL). A row is written in
-- the same transaction as the change it tells of, so an event is never lost to a crash
-- between the two, nor sent for a change that was rolled back; the sender deletes it once
-- the receiver has it, or after its last attempt.
CREATE TABLE events (
    id              TEXT    PRIMARY KEY,   -- the receiver de-duplicates by it
    body            TEXT    NOT NULL,      -- the JSON sent, exactly as signed
    attempts        BIGINT  NOT NULL,      -- deliveries tried so far
    next_attempt_at BIGINT  NOT NULL       -- unix seconds; also a sender's claim on the row
);

CREATE INDEX events_next_attempt_at ON events (next_attempt_at);
