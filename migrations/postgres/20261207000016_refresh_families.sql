-- Refresh tokens, one row per family (src/provider/refresh_token.rs says why and what a token
-- is made of): a grant with `offline_access` keeps one row, however often it is refreshed,
-- rather than one per token issued. Only SHA-256 hashes are kept, as for every token.
CREATE TABLE refresh_families (
    lookup_hash   TEXT    PRIMARY KEY,  -- of the lookup id every token of the family starts with
    grant_id      BIGINT  NOT NULL UNIQUE REFERENCES grants (id) ON DELETE CASCADE,
    generation    BIGINT  NOT NULL,     -- the current token's; an older one presented is a reuse
    secret_hash   TEXT    NOT NULL,     -- of the current token's secret
    previous_hash TEXT    NOT NULL,     -- of the previous token's, while its answer may have been
                                        -- lost; '' once that was made up for (or never)
    rotated_at    BIGINT  NOT NULL,     -- when the current token was issued
    access_hash   TEXT    NOT NULL,     -- of the opaque access token issued with it; '' for a JWT
    access_used   BIGINT  NOT NULL,     -- 1 once userinfo or introspection accepted that token
    expires_at    BIGINT  NOT NULL      -- the current token's expiry: unused for 30 days, it is dead
);
CREATE INDEX refresh_families_expires_at ON refresh_families (expires_at);

-- The refresh tokens issued before, one row each in `tokens`: each grant's live one becomes
-- its family's generation 0, whose lookup id is the whole token and whose secret is empty
-- (the SHA-256 of '' below), so that the apps holding them go on refreshing and get tokens of
-- the new shape. The used ones are forgotten: presented again, such a token is refused
-- without revoking its family, as no row says any more that it was once good.
INSERT INTO refresh_families (lookup_hash, grant_id, generation, secret_hash, previous_hash,
                              rotated_at, access_hash, access_used, expires_at)
SELECT token_hash, grant_id, 0,
       'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
       '', issued_at, '', 0, expires_at
FROM tokens WHERE kind = 'refresh' AND used = 0
ON CONFLICT DO NOTHING;
DELETE FROM tokens WHERE kind = 'refresh';
