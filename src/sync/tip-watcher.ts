import fs, { promises as fsp } from "node:fs";
import path from "node:path";
import { journalPath } from "../core/change-journal.ts";
import type { HomeContext } from "../home/context.ts";

/**
 * Watches the tip of main so every new restore point is noticed, whoever made it (API, CLI,
 * restore, rollback, capture): fs.watch on the refs for speed, plus a poll every `intervalMs`
 * as the safety net (packed refs, file systems without events). A change is reported only once
 * the home's write lock is free, so the master's own health check (and its automatic
 * rollback) has finished before anything is pushed.
 */
export function watchTip(options: {
  ctx: HomeContext;
  intervalMs: number;
  onTip: (commit: string) => Promise<void>;
  /** Extra work on every tick (the `sync resume` request file). */
  onTick?: () => Promise<void>;
}): { stop(): void; check(): Promise<void> } {
  const { ctx } = options;
  const lockFile = path.join(ctx.layout.state, "write.lock");
  const journal = journalPath(ctx);
  let last: string | null | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  const lockFree = async () => {
    for (let waited = 0; waited < 600_000 && !stopped; waited += 10) {
      // A change in flight (its journal) is not released until its live files follow it.
      const busy =
        (await fsp.stat(lockFile).catch(() => undefined)) ?? (await fsp.stat(journal).catch(() => undefined));
      if (!busy) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const tick = async () => {
    const tip = await ctx.engine.branchTip("main");
    if (tip !== last && tip) {
      await lockFree();
      const settled = await ctx.engine.branchTip("main");
      if (settled && settled !== last) {
        last = settled;
        await options.onTip(settled);
      }
    }
    await options.onTick?.();
  };

  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await tick().catch((err) =>
            ctx.logger.error({ err: (err as Error).message }, "sync: watching main failed"),
          );
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const timer = setInterval(() => void check(), options.intervalMs);
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(path.join(ctx.layout.gitdir, "refs", "heads"), () => void check());
    watcher.on("error", () => watcher?.close());
  } catch {
    // No refs/heads yet or no fs events: the interval covers it.
  }
  void check();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
