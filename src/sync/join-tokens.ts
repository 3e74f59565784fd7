import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { hashToken } from "../server/tokens.ts";
import { constantTimeEqual, randomToken, readJson, withFileLock, writeJson } from "./json-state.ts";

interface JoinTokenRecord {
  hash: string;
  expiresAt: string;
  usesLeft: number;
}

/** A join token for slaves (shown once, stored hashed), valid for `ttlMs` and `uses` joins. */
export async function createJoinToken(
  file: string,
  options: { ttlMs: number; uses?: number; now?: Date },
): Promise<{ token: string; expiresAt: string }> {
  const now = options.now ?? new Date();
  const token = randomToken("cvj_", 24);
  const expiresAt = new Date(now.getTime() + options.ttlMs).toISOString();
  await withFileLock(file, async () => {
    const live = (await readJson<JoinTokenRecord[]>(file, [])).filter(
      (t) => Date.parse(t.expiresAt) > now.getTime() && t.usesLeft > 0,
    );
    live.push({ hash: await hashToken(token), expiresAt, usesLeft: options.uses ?? 1 });
    await writeJson(file, live);
  });
  return { token, expiresAt };
}

/** Uses up one join of a token; UNAUTHORIZED when it is unknown, used up or expired. */
export async function consumeJoinToken(file: string, token: string, now = new Date()): Promise<void> {
  const hash = await hashToken(token);
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
