import type { HomeContext } from "../home/context.ts";
import { readClusterStatus } from "../sync/cluster-status.ts";

export interface ClusterOutcome {
  applied: number;
  total: number;
  failed: string[];
  waiting: string[];
  /** "applied on 3/4 nodes; failed on n4: …" */
  text: string;
}

/**
 * How far a restore point the master just made has reached: on a master, the slaves' acks as
 * the cluster sync records them (src/sync), waited for up to `waitMs`; elsewhere 1/1.
 */
export async function clusterOutcome(
  ctx: HomeContext,
  commit: string,
  options: { waitMs: number; pollMs?: number; sequence?: number },
): Promise<ClusterOutcome> {
  const done = (applied: number, total: number, failed: string[], waiting: string[]): ClusterOutcome => {
    let text = `applied on ${applied}/${total} node${total === 1 ? "" : "s"}`;
    if (failed.length > 0) text += `; failed on ${failed.join(", ")}`;
    if (waiting.length > 0) text += `; no answer yet from ${waiting.join(", ")}`;
    return { applied, total, failed, waiting, text };
  };
  if (ctx.settings.role !== "master") return done(1, 1, [], []);
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const status = await readClusterStatus(ctx);
    const sequence =
      options.sequence ?? (status.tip?.commit === commit ? status.tip.sequence : Number.POSITIVE_INFINITY);
    const failed: string[] = [];
    const waiting: string[] = [];
    let applied = 1;
    for (const node of status.nodes) {
      if (node.applied && (node.applied.commit === commit || node.applied.sequence >= sequence)) applied++;
      else if (
        node.lastResult &&
        node.lastResult.commit === commit &&
        !node.lastResult.ok &&
        !node.lastResult.skipped
      )
        failed.push(`${node.name}: ${node.lastResult.error ?? "failed"}`);
      else waiting.push(node.name);
    }
    if (waiting.length === 0 || Date.now() >= deadline) {
      return done(applied, status.nodes.length + 1, failed, waiting);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}
