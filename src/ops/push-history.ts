import { listRemotesOf } from "../backup/list-remotes.ts";
import type { HomeContext } from "../home/context.ts";
import { createSerial, opsPaths, readState, writeState } from "./state-file.ts";

export interface RemoteHealth {
  name: string;
  url: string;
  lastPush: { time: string; ok: boolean; error?: string } | null;
  /** Time of the last push that succeeded (kept across failed pushes, unlike state/remotes.json). */
  lastSuccess: string | null;
  /** Time of the first failure since the last success. */
  failingSince: string | null;
  /** Restore points made after the last successful push (not yet off-site). */
  lagCommits: number;
}

interface HistoryFile {
  version: 1;
  remotes: Record<
    string,
    { lastSuccess: string | null; failingSince: string | null; lastSeen: string | null }
  >;
}

const serial = createSerial();

/**
 * Off-site health per remote. `state/remotes.json` (written by every push, CLI or scheduled)
 * keeps only the last push; this folds each newly seen push into `state/push-history.json` so the
 * last success survives a run of failures.
 */
export async function remoteHealth(ctx: HomeContext): Promise<RemoteHealth[]> {
  const remotes = await listRemotesOf(ctx.layout).catch(() => []);
  if (remotes.length === 0) return [];
  const file = opsPaths(ctx.layout.state).pushHistory;
  const history = await serial(async () => {
    const h = await readState<HistoryFile>(file, { version: 1, remotes: {} });
    let changed = false;
    for (const r of remotes) {
      const entry = (h.remotes[r.name] ??= { lastSuccess: null, failingSince: null, lastSeen: null });
      const push = r.lastPush;
      if (!push || push.time === entry.lastSeen) continue;
      changed = true;
      entry.lastSeen = push.time;
      if (push.ok) {
        entry.lastSuccess = push.time;
        entry.failingSince = null;
      } else entry.failingSince ??= push.time;
    }
    if (changed) await writeState(file, h);
    return h;
  });
  const tags = await ctx.engine.listTags("rp/");
  return remotes.map((r) => {
    const h = history.remotes[r.name];
    const since = h?.lastSuccess ? Date.parse(h.lastSuccess) / 1000 : Number.NEGATIVE_INFINITY;
    return {
      name: r.name,
      url: r.url,
      lastPush: r.lastPush
        ? {
            time: r.lastPush.time,
            ok: r.lastPush.ok,
            ...(r.lastPush.error ? { error: r.lastPush.error.message } : {}),
          }
        : null,
      lastSuccess: h?.lastSuccess ?? null,
      failingSince: h?.failingSince ?? null,
      lagCommits: tags.filter((t) => t.tagger.timestamp > since).length,
    };
  });
}
