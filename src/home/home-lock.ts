import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";

export interface HomeLock {
  release(): Promise<void>;
}

/** Where a lock's owner is told apart from a later process that got the same pid. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id; absent on platforms without /proc. */
  bootId?: string;
  /** /proc/<pid>/stat field 22 (clock ticks since boot); absent without /proc. */
  startTime?: string;
}

export interface LockLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface AcquireHomeLockOptions {
  waitMs?: number;
  operation?: string;
  /** Told when a stale lock is taken over. */
  logger?: LockLogger;
}

async function readTrim(file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(file, "utf8")).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised comm, which may hold spaces). */
export async function processStartTime(pid: number, proc = "/proc"): Promise<string | undefined> {
  const stat = await readTrim(path.join(proc, String(pid), "stat"));
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19];
}

export async function currentIdentity(proc = "/proc"): Promise<ProcessIdentity> {
  const bootId = await readTrim(path.join(proc, "sys/kernel/random/boot_id"));
  const startTime = await processStartTime(process.pid, proc);
  return {
    pid: process.pid,
    host: os.hostname(),
    ...(bootId ? { bootId } : {}),
    ...(startTime ? { startTime } : {}),
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Why the holder no longer owns the lock, or null while it may. A different boot id: stale.
 * Same boot (any hostname, e.g. a renamed container): stale when the pid is dead or now belongs
 * to a process with another start time (a reused pid, node as PID 1 after a restart). Without
 * boot ids (no /proc): the pid alone, on the same host.
 */
export async function staleReason(
  holder: Partial<ProcessIdentity>,
  me: ProcessIdentity,
): Promise<string | null> {
  if (typeof holder.pid !== "number") return null;
  if (holder.pid === -1) return "torn lock file";
  if (holder.bootId && me.bootId) {
    if (holder.bootId !== me.bootId) return "written before the last boot";
    if (!pidAlive(holder.pid)) return `pid ${holder.pid} is gone`;
    if (holder.startTime) {
      const now = await processStartTime(holder.pid);
      if (now && now !== holder.startTime) return `pid ${holder.pid} now belongs to another process`;
    }
    return null;
  }
  if (holder.host !== me.host) return null;
  if (!pidAlive(holder.pid)) return `pid ${holder.pid} is gone`;
  return null;
}

const TAKEOVER_STALE_MS = 5000;

/**
 * Replaces the stale lock file by ours, only if it still holds the content judged stale. A
 * short-lived `.takeover` file (exclusive create) makes the check-and-replace one step for all
 * contenders; one left by a crash is ignored after a few seconds.
 */
async function takeOver(lockPath: string, staleText: string, mine: string): Promise<boolean> {
  const guard = `${lockPath}.takeover`;
  try {
    await (await fsp.open(guard, "wx", 0o600)).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const st = await fsp.stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > TAKEOVER_STALE_MS) await fsp.rm(guard, { force: true });
    return false;
  }
  try {
    const now = await fsp.readFile(lockPath, "utf8").catch(() => undefined);
    if (now !== staleText) return false;
    const tmp = `${lockPath}.new-${process.pid}`;
    await fsp.writeFile(tmp, mine, { mode: 0o600 });
    await fsp.rename(tmp, lockPath);
    return true;
  } finally {
    await fsp.rm(guard, { force: true });
  }
}

function heldLock(lockPath: string, mine: string): HomeLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      const now = await fsp.readFile(lockPath, "utf8").catch(() => undefined);
      if (now === mine) await fsp.rm(lockPath, { force: true });
    },
  };
}

/**
 * One writer at a time per home, across processes (CLI and server): an exclusive lock file
 * holding the owner's pid, process start time, boot id and hostname. A stale lock (see
 * `staleReason`) is taken over atomically and logged.
 */
export async function acquireHomeLock(home: string, options: AcquireHomeLockOptions = {}): Promise<HomeLock> {
  const lockPath = path.join(home, "state", "write.lock");
  await fsp.mkdir(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  const identity = await currentIdentity();
  const mine = JSON.stringify({
    ...identity,
    operation: options.operation ?? "",
    since: new Date().toISOString(),
  });
  let delay = 5;
  for (;;) {
    try {
      const handle = await fsp.open(lockPath, "wx", 0o600);
      await handle.writeFile(mine);
      await handle.close();
      return heldLock(lockPath, mine);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const text = await fsp.readFile(lockPath, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    let holder: Partial<ProcessIdentity> & { operation?: string } = {};
    try {
      holder = JSON.parse(text);
    } catch {
      // Being written right now or torn by a crash: a torn lock older than a second is stale.
      const st = await fsp.stat(lockPath).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 1000) holder = { pid: -1 };
    }
    const reason = await staleReason(holder, identity);
    if (reason && (await takeOver(lockPath, text, mine))) {
      options.logger?.warn({ lockPath, holder, reason }, "took over a stale home lock");
      return heldLock(lockPath, mine);
    }
    if (!reason && Date.now() >= deadline) {
      throw new ConfvaultError(
        "LOCKED",
        `another confvault process is writing to this home (pid ${holder.pid ?? "?"}${holder.host ? ` on ${holder.host}` : ""}${holder.operation ? `, ${holder.operation}` : ""})`,
        `wait for it to finish; if no such process exists, remove ${lockPath}`,
        { lockPath, holder },
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}
