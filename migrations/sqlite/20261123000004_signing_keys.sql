-- The Ed25519 keys that sign identity tokens (src/keys.rs), when SIGNING_KEY is not set.
-- `private_key` is PKCS#8 DER: whoever can read this file can mint tokens, exactly as whoever
-- holds SIGNING_KEY could. `kid` is the public key's RFC 7638 thumbprint.
--
-- The newest key with no `retired_at` signs. `gitlogin rotate-key` only adds a row; the next
-- server to start retires every older key, and publishes a retired key in the JWKS until the
-- last token it can have signed has expired. After that the row is deleted.
CREATE TABLE signing_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order: "newest" means highest id
    kid         TEXT    NOT NULL UNIQUE,
    private_key BLOB    NOT NULL,
    created_at  INTEGER NOT NULL, -- unix seconds
    retired_at  INTEGER           -- unix seconds a server started signing with a newer key
);
