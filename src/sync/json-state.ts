import { promises as fsp } from "node:fs";
import path from "node:path";

/** The files cluster sync keeps under the home's state folder (all mode 0600). */
export function syncPaths(stateDir: string) {
  return {
    /** Master: the cluster secret that signs webhooks. */
    clusterSecret: path.join(stateDir, "cluster-secret"),
    /** Master: joined nodes and what each last reported. */
    nodes: path.join(stateDir, "cluster-nodes.json"),
    /** Master: one-time join tokens (hashed). */
    joinTokens: path.join(stateDir, "join-tokens.json"),
    /** Master: rollout progress (target, released, held). */
    rollout: path.join(stateDir, "sync-rollout.json"),
    /** Master: a `sync resume` request waiting for the serve process. */
    resume: path.join(stateDir, "sync-resume.json"),
    /** Slave: cluster secret, node token, master node name. */
    credentials: path.join(stateDir, "sync-credentials.json"),
    /** Slave: the last master release applied (or refused). */
    slave: path.join(stateDir, "sync-slave.json"),
    /** Slave: webhook delivery ids already seen, with expiry. */
    deliveries: path.join(stateDir, "sync-deliveries.json"),
  };
}

export type SyncPaths = ReturnType<typeof syncPaths>;

export async function readJson<T>(file: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // A torn file cannot happen with atomic writes; an edited one falls back rather than crash serve.
    return fallback;
  }
}

export { writeJsonFile as writeJson } from "../home/json-file.ts";

/** An exclusive lock file beside `file` for read-modify-write across processes (CLI and serve). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, waitMs = 10_000): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await (await fsp.open(lock, "wx", 0o600)).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await fsp.stat(lock).catch(() => undefined);
      // Held longer than any read-modify-write takes: its owner died.
      if (st && Date.now() - st.mtimeMs > 5_000) await fsp.rm(lock, { force: true });
      else if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lock, { force: true });
  }
}

export { createMutex } from "../home/json-file.ts";

export function randomToken(prefix: string, bytes = 32): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  let bin = "";
  for (const b of raw) bin += String.fromCharCode(b);
  return prefix + btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
