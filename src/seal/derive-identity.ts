import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { identityToRecipient } from "age-encryption";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { pickScrypt, type Scrypt } from "./scrypt-adapter.ts";
import { SIGNING_INFO } from "./signing-key.ts";

/*
 * Sealing identity derivation, format v1 (part of the repository contract: never change it,
 * add a v2 instead).
 *
 *   key    = the activation key with leading and trailing ASCII whitespace (space, tab, CR, LF)
 *            removed, Unicode-normalised to NFC, encoded as UTF-8
 *   salt   = UTF-8 bytes of "confvault/v1/" followed by the cluster name exactly as configured
 *   okm    = scrypt(password = key, salt = salt, N = 2^15, r = 8, p = 1, dkLen = 64)
 *   secret = okm[0..32)   the X25519 secret of an age identity
 *   marker = okm[32..64)  the HMAC-SHA256 key for secret markers and bundle digests
 *   identity  = Bech32 (BIP 173, not Bech32m) of `secret` with HRP "AGE-SECRET-KEY-",
 *               upper-cased: "AGE-SECRET-KEY-1…", exactly as `age-keygen` writes identities
 *   recipient = the age X25519 recipient of that identity ("age1…", what `age-keygen -y` prints)
 *   signing   = HKDF-SHA256(okm, salt "confvault/v1/", info "ed25519-signing-key", 32): the
 *               Ed25519 seed that signs releases and restore points (signing-key.ts)
 *
 * Reproduce it in Python (hashlib.scrypt, maxmem above 32 MiB) and a Bech32 encoder:
 *   okm = hashlib.scrypt(key, salt=b"confvault/v1/" + cluster.encode(), n=2**15, r=8, p=1,
 *                        maxmem=64 * 1024 * 1024, dklen=64)
 *   identity = bech32_encode("age-secret-key-", convertbits(okm[:32], 8, 5)).upper()
 * then `echo "$identity" | age-keygen -y` prints the recipient, and `age -d -i FILE` opens
 * every `secrets.sealed.age` of that cluster.
 *
 * scrypt with these parameters needs 32 MiB and takes about 0.2–0.25 s on one 2020s core in
 * pure JS (@noble/hashes, the Deno path), about 0.1 s through node:crypto (scrypt-adapter.ts):
 * the same bytes either way.
 */
export const KDF_PARAMS = Object.freeze({ N: 2 ** 15, r: 8, p: 1, dkLen: 64 });
export const KDF_SALT_PREFIX = "confvault/v1/";

export interface DerivedIdentity {
  /** The age identity, "AGE-SECRET-KEY-1…" (a secret: print only on explicit request). */
  identity: string;
  /** The matching age recipient, "age1…" (public). */
  recipient: string;
  /** 32 bytes keying secret markers and bundle digests (a secret). */
  markerKey: Uint8Array;
  /** 32-byte Ed25519 seed of the node's signing key (a secret; see signing-key.ts). */
  signingSeed: Uint8Array;
}

export interface DeriveIdentityOptions {
  activationKey: string;
  cluster: string;
  /** The scrypt implementation; default: node:crypto on Node, @noble/hashes elsewhere. */
  scrypt?: Scrypt;
}

export async function deriveIdentity({
  activationKey,
  cluster,
  scrypt,
}: DeriveIdentityOptions): Promise<DerivedIdentity> {
  if (typeof activationKey !== "string" || normaliseKey(activationKey) === "") {
    throw new ConfvaultError(
      "KEY_MISSING",
      "no activation key was given",
      "set CONFVAULT_ACTIVATION_KEY or pass --key-file FILE (mode 0600)",
      { operation: "deriveIdentity" },
    );
  }
  if (typeof cluster !== "string" || cluster === "") {
    throw new ConfvaultError(
      "BAD_INPUT",
      "the cluster name is empty",
      "the identity is derived from the activation key and the cluster name: set a cluster name",
      { operation: "deriveIdentity" },
    );
  }
  const enc = new TextEncoder();
  const kdf = scrypt ?? (await pickScrypt());
  const okm = await kdf(enc.encode(normaliseKey(activationKey)), enc.encode(KDF_SALT_PREFIX + cluster), {
    ...KDF_PARAMS,
  });
  const secret = okm.slice(0, 32);
  const markerKey = okm.slice(32, 64);
  const signingSeed = hkdf(sha256, okm, enc.encode(KDF_SALT_PREFIX), enc.encode(SIGNING_INFO), 32);
  okm.fill(0);
  const identity = bech32.encodeFromBytes("AGE-SECRET-KEY-", secret).toUpperCase();
  secret.fill(0);
  const recipient = await identityToRecipient(identity);
  return { identity, recipient, markerKey, signingSeed };
}

function normaliseKey(key: string): string {
  return key.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "").normalize("NFC");
}
