import { base64 } from "@scure/base";
import { type Signer, sshPublicKeyBlob, sshString, verifyEd25519 } from "./signing-key.ts";

/*
 * OpenSSH signatures (PROTOCOL.sshsig), the format `ssh-keygen -Y sign` writes and git uses
 * for `gpg.format=ssh`. Only Ed25519 keys, which is what confvault signs with.
 *
 *   blob   = "SSHSIG" uint32(1) string(publickey) string(namespace) string(reserved="")
 *            string(hash_algorithm) string(signature)
 *   signature = string("ssh-ed25519") string(raw 64-byte Ed25519 signature)
 *   signed = "SSHSIG" string(namespace) string(reserved) string(hash_algorithm) string(H(message))
 *   armor  = "-----BEGIN SSH SIGNATURE-----\n" base64(blob) wrapped at 70 columns
 *            "\n-----END SSH SIGNATURE-----\n"
 */
export const SSHSIG_BEGIN = "-----BEGIN SSH SIGNATURE-----";
export const SSHSIG_END = "-----END SSH SIGNATURE-----";
/** The namespace git signs and verifies with. */
export const GIT_NAMESPACE = "git";

const MAGIC = new TextEncoder().encode("SSHSIG");
const HASHES = { sha512: "SHA-512", sha256: "SHA-256" } as const;
type HashName = keyof typeof HASHES;

export interface ParsedSshSignature {
  /** Raw 32-byte Ed25519 public key of the signer. */
  publicKey: Uint8Array;
  namespace: string;
  hashAlgorithm: string;
  /** Raw 64-byte Ed25519 signature. */
  signature: Uint8Array;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function toBeSigned(namespace: string, hash: HashName, message: Uint8Array): Promise<Uint8Array> {
  const digest = new Uint8Array(await crypto.subtle.digest(HASHES[hash], concat(message)));
  return concat(MAGIC, sshString(namespace), sshString(""), sshString(hash), sshString(digest));
}

/** Base64 wrapped at 70 columns between the BEGIN/END lines, final newline included (as ssh-keygen). */
export function armorSshSignature(blob: Uint8Array): string {
  const b64 = base64.encode(blob);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 70) lines.push(b64.slice(i, i + 70));
  return `${SSHSIG_BEGIN}\n${lines.join("\n")}\n${SSHSIG_END}\n`;
}

/** Signs `message` in the SSHSIG format (SHA-512, namespace "git" by default); returns the armored text. */
export async function sshSign(
  signer: Signer,
  message: Uint8Array,
  namespace = GIT_NAMESPACE,
): Promise<string> {
  const raw = await signer.sign(await toBeSigned(namespace, "sha512", message));
  const blob = concat(
    MAGIC,
    Uint8Array.of(0, 0, 0, 1),
    sshString(sshPublicKeyBlob(signer.publicKey)),
    sshString(namespace),
    sshString(""),
    sshString("sha512"),
    sshString(concat(sshString("ssh-ed25519"), sshString(raw))),
  );
  return armorSshSignature(blob);
}

/** A signing function for the repo engine (`sign` option): payload bytes → armored SSHSIG. */
export function gitSshSigner(signer: Signer): (payload: Uint8Array) => Promise<string> {
  return (payload) => sshSign(signer, payload, GIT_NAMESPACE);
}

class WireReader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  uint32(): number {
    if (this.at + 4 > this.bytes.length) throw new RangeError("truncated");
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.at, 4).getUint32(0);
    this.at += 4;
    return v;
  }
  raw(n: number): Uint8Array {
    if (n < 0 || this.at + n > this.bytes.length) throw new RangeError("truncated");
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  string(): Uint8Array {
    return this.raw(this.uint32());
  }
  text(): string {
    return new TextDecoder().decode(this.string());
  }
  get done(): boolean {
    return this.at === this.bytes.length;
  }
}

/** Parses an armored SSHSIG of an Ed25519 key; null for anything else or anything malformed. */
export function parseSshSignature(armored: string): ParsedSshSignature | null {
  const text = armored.replace(/\r\n/g, "\n").trim();
  if (!text.startsWith(SSHSIG_BEGIN) || !text.endsWith(SSHSIG_END)) return null;
  const body = text.slice(SSHSIG_BEGIN.length, text.length - SSHSIG_END.length).replace(/\s+/g, "");
  try {
    const r = new WireReader(base64.decode(body));
    for (const b of MAGIC) if (r.raw(1)[0] !== b) return null;
    if (r.uint32() !== 1) return null;
    const key = new WireReader(r.string());
    if (key.text() !== "ssh-ed25519") return null;
    const publicKey = key.string();
    const namespace = r.text();
    r.string(); // reserved
    const hashAlgorithm = r.text();
    const sig = new WireReader(r.string());
    if (sig.text() !== "ssh-ed25519") return null;
    const signature = sig.string();
    if (!r.done || !key.done || !sig.done || publicKey.length !== 32 || signature.length !== 64) return null;
    return { publicKey: publicKey.slice(), namespace, hashAlgorithm, signature: signature.slice() };
  } catch {
    return null;
  }
}

export type SignatureCheck =
  | { status: "valid"; publicKey: Uint8Array }
  | { status: "unknown-key"; publicKey: Uint8Array }
  | { status: "invalid"; reason: string; publicKey?: Uint8Array };

/**
 * Checks an armored SSHSIG over `message` in a namespace (default "git"). "valid" only when
 * the signature verifies AND its key is one of `knownKeys` (raw 32-byte Ed25519 keys); a good
 * signature by any other key is "unknown-key" (anyone can sign with a key of their own).
 */
export async function verifySshSignature(
  armored: string,
  message: Uint8Array,
  knownKeys: readonly Uint8Array[],
  namespace = GIT_NAMESPACE,
): Promise<SignatureCheck> {
  const parsed = parseSshSignature(armored);
  if (!parsed) return { status: "invalid", reason: "not an ssh-ed25519 SSH signature" };
  const { publicKey } = parsed;
  if (parsed.namespace !== namespace) {
    return {
      status: "invalid",
      reason: `namespace '${parsed.namespace}', expected '${namespace}'`,
      publicKey,
    };
  }
  if (!(parsed.hashAlgorithm in HASHES)) {
    return { status: "invalid", reason: `hash algorithm '${parsed.hashAlgorithm}'`, publicKey };
  }
  const signed = await toBeSigned(namespace, parsed.hashAlgorithm as HashName, message);
  if (!(await verifyEd25519(publicKey, signed, parsed.signature))) {
    return { status: "invalid", reason: "the signature does not match the signed bytes", publicKey };
  }
  const known = knownKeys.some((k) => k.length === 32 && k.every((b, i) => b === publicKey[i]));
  return known ? { status: "valid", publicKey } : { status: "unknown-key", publicKey };
}

/** `SHA256:…` fingerprint of an Ed25519 key, as `ssh-keygen -l` and git print it. */
export async function sshFingerprint(publicKey: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", concat(sshPublicKeyBlob(publicKey))));
  return `SHA256:${base64.encode(digest).replace(/=+$/, "")}`;
}
