-- Signing keys of more than one algorithm: EdDSA (Ed25519) signs identity tokens and the ID
-- tokens of apps that ask for it; RS256 (RSA 2048) signs the other ID tokens, the one
-- algorithm every OpenID Connect relying party supports. `private_key` stays PKCS#8 DER for
-- both. Each algorithm has its own newest key and its own retirements; the keys made before
-- this column were all Ed25519.
ALTER TABLE signing_keys ADD COLUMN alg TEXT NOT NULL DEFAULT 'EdDSA';
