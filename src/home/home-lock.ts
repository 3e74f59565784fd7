import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";

export interface HomeLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One writer at a time per home, across processes (CLI and server): an exclusive lock file
 * holding the owner's pid. A lock left by a dead process on this host is taken over.
 */
export async function acquireHomeLock(
  home: string,
  options: { waitMs?: number; operation?: string } = {},
): Promise<HomeLock> {
  const lockPath = path.join(home, "state", "write.lock");
  await fsp.mkdir(path.dirname(lockPath), { recursive: true });
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  const me = JSON.stringify({
    pid: process.pid,
    host: os.hostname(),
    operation: options.operation ?? "",
    since: new Date().toISOString(),
  });
  let delay = 5;
  for (;;) {
    try {
      const handle = await fsp.open(lockPath, "wx", 0o600);
      await handle.writeFile(me);
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await fsp.rm(lockPath, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder: { pid?: number; host?: string; operation?: string } = {};
    try {
      holder = JSON.parse(await fsp.readFile(lockPath, "utf8"));
    } catch {
      // Being written right now or torn by a crash: a torn lock older than a second is stale.
      const st = await fsp.stat(lockPath).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 1000) holder = { pid: -1, host: os.hostname() };
    }
    if (
      holder.host === os.hostname() &&
      typeof holder.pid === "number" &&
      (holder.pid === -1 || !alive(holder.pid))
    ) {
      // Take over atomically: only one contender's rename succeeds against the same stale file.
      const stale = `${lockPath}.stale-${process.pid}`;
      await fsp.rename(lockPath, stale).catch(() => undefined);
      await fsp.rm(stale, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ConfvaultError(
        "LOCKED",
        `another confvault process is writing to this home (pid ${holder.pid ?? "?"}${holder.operation ? `, ${holder.operation}` : ""})`,
        `wait for it to finish; if no such process exists, remove ${lockPath}`,
        { lockPath, holder },
      );
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}
