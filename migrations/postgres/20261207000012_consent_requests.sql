-- An authorization request is kept only while a signed-in person is shown the consent page
-- (src/provider/consent.rs), a handful per session, each answered by that session alone. A
-- stranger's request rides through the GitHub sign-in in their own cookie instead
-- (src/provider/carried.rs), so authorize links cost the store nothing. Rows of the old shape
-- were waiting for strangers and lived ten minutes: they are not carried over.
DROP TABLE authorize_requests;

CREATE TABLE authorize_requests (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- the order they were kept in
    id_hash         TEXT    NOT NULL UNIQUE,
    session_id_hash TEXT    NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    app_id          BIGINT  NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    request         TEXT    NOT NULL,                   -- the checked request, as JSON
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX authorize_requests_session ON authorize_requests (session_id_hash);
-- The purge (src/auth/purge.rs) deletes what has expired.
CREATE INDEX authorize_requests_expires_at ON authorize_requests (expires_at);
