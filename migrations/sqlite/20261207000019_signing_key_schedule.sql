-- Keys that take over by themselves (src/keys/rotation.rs): a new key is published at once
-- (`created_at`) and signs from `signs_from`, later by SIGNING_KEY_PUBLISH_AHEAD, so that
-- relying parties that cache the JWKS know it before they meet it. `retired_at` is the second
-- from which a key no longer signs: set when its successor is made, so it may lie ahead. Of
-- one algorithm, the key whose `signs_from` is latest and not after now, and not retired,
-- signs.
--
-- Keys made before this migration signed from when they were made. Where `rotate-key` had
-- added a key that no server had started signing with yet, the upgrade's start-up switched
-- to it, as restarts used to: the older keys retire now.
ALTER TABLE signing_keys ADD COLUMN signs_from INTEGER NOT NULL DEFAULT 0;
UPDATE signing_keys SET signs_from = created_at;
UPDATE signing_keys SET retired_at = CAST(strftime('%s', 'now') AS INTEGER)
WHERE retired_at IS NULL
  AND EXISTS (SELECT 1 FROM signing_keys AS newer
              WHERE newer.alg = signing_keys.alg AND newer.retired_at IS NULL
                AND newer.id > signing_keys.id);
