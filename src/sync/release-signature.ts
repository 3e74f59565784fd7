import { base64 } from "@scure/base";
import { sha256Hex } from "../core/manifest.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { parseSshPublicKey, type Signer, verifyEd25519 } from "../seal/signing-key.ts";

/**
 * Release and head signatures (format v1, part of the sync protocol).
 *
 *   release: UTF-8 "confvault-release-v1\n" + canonical JSON of
 *            {actor, bundleSha256, cluster, commit, configSha256, manifestSha256, reason,
 *             recipient, sequence, tag}
 *   head:    UTF-8 "confvault-head-v1\n"    + canonical JSON of {cluster, commit, sequence, tag}
 *
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, `undefined` members left
 * out (JSON.stringify's own escaping otherwise). `manifestSha256` is the lower-case hex sha256 of
 * the canonical JSON of the manifest object as sent; `configSha256` of the committed config.xml
 * bytes (markers in place); `bundleSha256` of the sealed bundle bytes as sent (after base64
 * decoding); `recipient` the age recipient the bundle was sealed to (so a relay cannot hand one
 * slave another slave's genuine release); `reason` and `actor` as the slave records them in its
 * own restore point. The different prefixes keep a head signature from ever passing as a release's.
 * The key is the master's Ed25519 signer (src/seal/signing-key.ts), published as `ssh-ed25519 …`.
 */
export interface SignatureField {
  /** `ssh-ed25519 AAAA…` of the signing key. */
  key: string;
  /** base64 of the 64-byte Ed25519 signature. */
  sig: string;
}

export interface ReleaseFacts {
  cluster: string;
  commit: string;
  sequence: number;
  tag: string;
  /** The age recipient the bundle is sealed to (the requesting slave's). */
  recipient: string;
  reason: string;
  actor: string;
  manifest: unknown;
  /** Committed config.xml bytes. */
  config: Uint8Array;
  /** Sealed bundle bytes. */
  bundle: Uint8Array;
  /** Precomputed sha256 hex of `config` / of the canonical manifest (the master caches them per commit). */
  configSha256?: string;
  manifestSha256?: string;
}

export interface HeadFacts {
  cluster: string;
  commit: string;
  sequence: number;
  tag: string;
}

/** JSON with sorted keys and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

const enc = new TextEncoder();

export async function manifestSha256(manifest: unknown): Promise<string> {
  return await sha256Hex(enc.encode(canonicalJson(manifest)));
}

export async function releaseSignedBytes(r: ReleaseFacts): Promise<Uint8Array> {
  const fields = {
    actor: r.actor,
    bundleSha256: await sha256Hex(r.bundle),
    cluster: r.cluster,
    commit: r.commit,
    configSha256: r.configSha256 ?? (await sha256Hex(r.config)),
    manifestSha256: r.manifestSha256 ?? (await manifestSha256(r.manifest)),
    reason: r.reason,
    recipient: r.recipient,
    sequence: r.sequence,
    tag: r.tag,
  };
  return enc.encode(`confvault-release-v1\n${canonicalJson(fields)}`);
}

export function headSignedBytes(h: HeadFacts): Uint8Array {
  const fields = { cluster: h.cluster, commit: h.commit, sequence: h.sequence, tag: h.tag };
  return enc.encode(`confvault-head-v1\n${canonicalJson(fields)}`);
}

export async function signBytes(signer: Signer, bytes: Uint8Array): Promise<SignatureField> {
  return { key: signer.sshPublicKey, sig: base64.encode(await signer.sign(bytes)) };
}

export type RefusalReason =
  | "malformed"
  | "unsigned"
  | "unknown-key"
  | "bad-signature"
  | "wrong-commit"
  | "wrong-recipient";

export function untrusted(reason: RefusalReason, message: string, data: Record<string, unknown> = {}): never {
  throw new ConfvaultError(
    "RELEASE_UNTRUSTED",
    message,
    "nothing was applied. The answer did not come from this cluster's master (a relay or proxy in between?), or the master's signing key changed (a new activation key): join this slave again with a fresh join token",
    { reason, ...data },
  );
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Checks `signature` over `bytes` against the trusted master keys (ssh-ed25519 lines);
 * RELEASE_UNTRUSTED (data.reason: unsigned, unknown-key, bad-signature) otherwise.
 */
export async function verifySigned(
  what: string,
  bytes: Uint8Array,
  signature: unknown,
  trustedKeys: readonly string[],
): Promise<void> {
  const s = signature as Partial<SignatureField> | undefined | null;
  if (!s || typeof s.key !== "string" || typeof s.sig !== "string")
    untrusted("unsigned", `${what} is not signed`);
  const pub = parseSshPublicKey(s.key);
  const trusted = trustedKeys.map((k) => parseSshPublicKey(k)).filter((k): k is Uint8Array => k !== null);
  if (!pub || !trusted.some((t) => sameKey(t, pub))) {
    untrusted("unknown-key", `${what} is signed by a key this node does not trust`, {
      key: s.key.slice(0, 120),
    });
  }
  let sig: Uint8Array;
  try {
    sig = base64.decode(s.sig);
  } catch {
    untrusted("bad-signature", `${what} has a signature that is not base64`);
  }
  if (!(await verifyEd25519(pub, bytes, sig)))
    untrusted("bad-signature", `${what}: the signature does not verify`);
}

/** base64url(sha256(ssh public key blob)): the key fingerprint a join token carries. */
export async function keyFingerprint(sshPublicKey: string): Promise<string | null> {
  const m = /^ssh-ed25519 ([A-Za-z0-9+/]+={0,2})/.exec(sshPublicKey.trim());
  if (!m || !parseSshPublicKey(sshPublicKey)) return null;
  const digest = await crypto.subtle.digest("SHA-256", base64.decode(m[1]!) as Uint8Array<ArrayBuffer>);
  return base64urlEncode(new Uint8Array(digest));
}

export function base64urlEncode(bytes: Uint8Array): string {
  return base64.encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
