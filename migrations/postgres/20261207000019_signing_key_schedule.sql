-- See migrations/sqlite for what `signs_from` means and why older keys retire now.
ALTER TABLE signing_keys ADD COLUMN signs_from BIGINT NOT NULL DEFAULT 0;
UPDATE signing_keys SET signs_from = created_at;
UPDATE signing_keys SET retired_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
WHERE retired_at IS NULL
  AND EXISTS (SELECT 1 FROM signing_keys AS newer
              WHERE newer.alg = signing_keys.alg AND newer.retired_at IS NULL
                AND newer.id > signing_keys.id);
