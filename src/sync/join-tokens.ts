import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { hashToken } from "../server/tokens.ts";
import { constantTimeEqual, randomToken, readJson, withFileLock, writeJson } from "./json-state.ts";
import { base64urlEncode, keyFingerprint } from "./release-signature.ts";

interface JoinTokenRecord {
  hash: string;
  expiresAt: string;
  usesLeft: number;
}

/**
 * Join token format v1: `cvj1.<secret>.<keyfp>[.<tlsfp>]`, each part base64url (which has no
 * "."). `secret` is 24 random bytes (only its hash is stored on the master); `keyfp` is
 * base64url(sha256(SSH wire blob of the master's ssh-ed25519 signing key)); `tlsfp`, present
 * when the master serves TLS, is base64url of the sha256 over its certificate's DER. The token
 * travels out of band, so the slave checks the master's key (and certificate) against it.
 */
export interface ParsedJoinToken {
  secret: string;
  keyFingerprint: string;
  /** Lower-case hex sha256 of the master's TLS certificate DER. */
  tlsFingerprint256?: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function parseJoinToken(token: string): ParsedJoinToken {
  const t = token.trim();
  if (t.startsWith("cvj_")) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "this join token has the old format (cvj_…), which does not pin the master's signing key",
      "on the master run `confvault cluster join-token` again and use the new cvj1.… token",
    );
  }
  const parts = t.split(".");
  if (
    parts[0] !== "cvj1" ||
    (parts.length !== 3 && parts.length !== 4) ||
    !parts.slice(1).every((p) => B64URL.test(p))
  ) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "not a join token (expected cvj1.<secret>.<key fingerprint>[.<tls fingerprint>])",
      "copy the whole token printed by `confvault cluster join-token` on the master",
    );
  }
  const tls = parts[3] === undefined ? undefined : base64urlToHex(parts[3]);
  return { secret: parts[1]!, keyFingerprint: parts[2]!, ...(tls ? { tlsFingerprint256: tls } : {}) };
}

function base64urlToHex(text: string): string {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Array.from(bin, (ch) => ch.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

function hexToBase64url(hex: string): string {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return base64urlEncode(bytes);
}

/** A join token for slaves (shown once, stored hashed), valid for `ttlMs` and `uses` joins. */
export async function createJoinToken(
  file: string,
  options: {
    ttlMs: number;
    uses?: number;
    now?: Date;
    /** The master's signer's `ssh-ed25519 …` line. */
    masterKey: string;
    /** Lower-case hex sha256 of the master's TLS certificate DER, when it serves TLS. */
    tlsFingerprint256?: string;
  },
): Promise<{ token: string; expiresAt: string }> {
  const now = options.now ?? new Date();
  const secret = randomToken("", 24);
  const keyfp = await keyFingerprint(options.masterKey);
  if (!keyfp) throw new ConfvaultError("INTERNAL", "the master's signing key is not an ssh-ed25519 line");
  const tls =
    options.tlsFingerprint256 && /^[0-9a-f]{64}$/i.test(options.tlsFingerprint256)
      ? `.${hexToBase64url(options.tlsFingerprint256.toLowerCase())}`
      : "";
  const token = `cvj1.${secret}.${keyfp}${tls}`;
  const expiresAt = new Date(now.getTime() + options.ttlMs).toISOString();
  await withFileLock(file, async () => {
    const live = (await readJson<JoinTokenRecord[]>(file, [])).filter(
      (t) => Date.parse(t.expiresAt) > now.getTime() && t.usesLeft > 0,
    );
    live.push({ hash: await hashToken(secret), expiresAt, usesLeft: options.uses ?? 1 });
    await writeJson(file, live);
  });
  return { token, expiresAt };
}

/** Uses up one join of a token; UNAUTHORIZED when it is unknown, used up or expired. */
export async function consumeJoinToken(file: string, token: string, now = new Date()): Promise<void> {
  const hash = await hashToken(parseJoinToken(token).secret);
  const ok = await withFileLock(file, async () => {
    const all = await readJson<JoinTokenRecord[]>(file, []);
    const live = all.filter((t) => Date.parse(t.expiresAt) > now.getTime() && t.usesLeft > 0);
    let found: JoinTokenRecord | undefined;
    for (const t of live) if (constantTimeEqual(t.hash, hash) && !found) found = t;
    if (found) found.usesLeft--;
    const keep = live.filter((t) => t.usesLeft > 0);
    if (found || keep.length !== all.length) {
      if (keep.length > 0) await writeJson(file, keep);
      else await fsp.rm(file, { force: true });
    }
    return found !== undefined;
  });
  if (!ok) {
    throw new ConfvaultError(
      "UNAUTHORIZED",
      "the join token is unknown, used up or expired",
      "on the master run `confvault cluster join-token` and use the new token at once",
    );
  }
}

/** The master's cluster secret (signs webhooks), created on first use, mode 0600. */
export async function ensureClusterSecret(file: string): Promise<string> {
  return await withFileLock(file, async () => {
    const existing = await readClusterSecret(file);
    if (existing && existing.length >= 32) return existing;
    const secret = randomToken("", 32);
    await writeJson(file, secret);
    return secret;
  });
}

export async function readClusterSecret(file: string): Promise<string | undefined> {
  const text = await fsp.readFile(file, "utf8").catch(() => "");
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as string;
  } catch {
    return text.trim();
  }
}
