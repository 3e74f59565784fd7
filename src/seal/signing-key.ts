import { base64 } from "@scure/base";

/*
 * The node's Ed25519 signing key (format v1, part of the repository contract).
 *
 *   seed = HKDF-SHA256(ikm = okm, salt = UTF-8 "confvault/v1/", info = UTF-8 "ed25519-signing-key", L = 32)
 *
 * where okm is the 64-byte scrypt output of the sealing identity derivation (derive-identity.ts).
 * Deriving it from the activation key (rather than generating and storing one) means a master
 * recovered onto a new machine from the repository and its activation key signs with the same
 * key, so its slaves keep trusting it without joining again; and there is no second secret file
 * to lose or to steal. The public key is published as an OpenSSH `ssh-ed25519` line, which is what
 * slaves pin at join and what git's `gpg.format=ssh` allowed-signers file holds.
 */
export const SIGNING_INFO = "ed25519-signing-key";

export interface Signer {
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI…` (no comment). */
  readonly sshPublicKey: string;
  /** Signs bytes with Ed25519 (64-byte signature). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

const PKCS8_ED25519_PREFIX = Uint8Array.of(
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
);

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SSH wire `string`: uint32 big-endian length, then the bytes. */
export function sshString(bytes: Uint8Array | string): Uint8Array {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setUint32(0, b.length);
  out.set(b, 4);
  return out;
}

/** The SSH wire encoding of an Ed25519 public key (`string "ssh-ed25519"`, `string key`). */
export function sshPublicKeyBlob(publicKey: Uint8Array): Uint8Array {
  return concat(sshString("ssh-ed25519"), sshString(publicKey));
}

/** `ssh-ed25519 <base64 blob>` for a raw 32-byte public key. */
export function formatSshPublicKey(publicKey: Uint8Array): string {
  return `ssh-ed25519 ${base64.encode(sshPublicKeyBlob(publicKey))}`;
}

/** The raw 32-byte key of an `ssh-ed25519 AAAA… [comment]` line; null when it is not one. */
export function parseSshPublicKey(line: string): Uint8Array | null {
  const m = /^ssh-ed25519 ([A-Za-z0-9+/]+={0,2})(?:\s.*)?$/.exec(line.trim());
  if (!m) return null;
  let blob: Uint8Array;
  try {
    blob = base64.decode(m[1]!);
  } catch {
    return null;
  }
  const expected = sshPublicKeyBlob(new Uint8Array(32));
  if (blob.length !== expected.length) return null;
  for (let i = 0; i < 4 + 11 + 4; i++) if (blob[i] !== expected[i]) return null;
  return blob.slice(blob.length - 32);
}

/** An Ed25519 signer from a 32-byte seed (Web Crypto; runs on Node and Deno). */
export async function createSigner(seed: Uint8Array): Promise<Signer> {
  if (seed.length !== 32) throw new RangeError("an Ed25519 seed is 32 bytes");
  const key = await crypto.subtle.importKey(
    "pkcs8",
    concat(PKCS8_ED25519_PREFIX, seed),
    { name: "Ed25519" },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const publicKey = base64urlDecode(jwk.x ?? "");
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    concat(PKCS8_ED25519_PREFIX, seed),
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  return {
    publicKey,
    sshPublicKey: formatSshPublicKey(publicKey),
    async sign(data) {
      return new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, concat(data)));
    },
  };
}

/** Verifies an Ed25519 signature; false (never a throw) for any malformed input. */
export async function verifyEd25519(
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = await crypto.subtle.importKey("raw", concat(publicKey), { name: "Ed25519" }, false, [
      "verify",
    ]);
    return await crypto.subtle.verify("Ed25519", key, concat(signature), concat(data));
  } catch {
    return false;
  }
}

function base64urlDecode(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return base64.decode(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}
