import { readSnapshot } from "../core/read-snapshot.ts";
import type { HomeContext } from "../home/context.ts";
import type { HeldRollout, RolloutState } from "./fan-out.ts";
import { readJson, syncPaths } from "./json-state.ts";
import type { NodeRecord } from "./node-registry.ts";
import type { ReleaseHead } from "./release.ts";

export interface NodeStatus {
  name: string;
  url: string;
  canary: boolean;
  /** The master restore point the node runs. */
  applied: NodeRecord["applied"] | null;
  /** Master sequence minus the node's applied sequence (null when it never applied one). */
  lag: number | null;
  lastContact: string | null;
  lastResult: NodeRecord["lastResult"] | null;
  health: "ok" | "failed" | "unknown";
  reachable: boolean | null;
  drift: boolean | null;
  lastError: string | null;
}

export interface ClusterStatus {
  cluster: string;
  role: "master";
  node: string;
  tip: ReleaseHead | null;
  rollout: {
    target: ReleaseHead | null;
    released: ReleaseHead | null;
    held: HeldRollout | null;
    canaries: string[];
  };
  nodes: NodeStatus[];
}

/** Cluster status from the master's facts: nodes, rollout and the tip of main. */
export function clusterStatus(input: {
  ctx: HomeContext;
  tip: ReleaseHead | null;
  nodes: NodeRecord[];
  rollout: RolloutState;
  canaries: string[];
}): ClusterStatus {
  const { ctx, tip, rollout } = input;
  const strip = (h: ReleaseHead | undefined | null) =>
    h ? { commit: h.commit, sequence: h.sequence, tag: h.tag } : null;
  return {
    cluster: ctx.settings.cluster,
    role: "master",
    node: ctx.settings.node,
    tip,
    rollout: {
      target: strip(rollout.target),
      released: strip(rollout.released),
      held: rollout.held ?? null,
      canaries: input.canaries,
    },
    nodes: input.nodes.map((n) => ({
      name: n.name,
      url: n.url,
      canary: input.canaries.includes(n.name),
      applied: n.applied ?? null,
      lag: tip && n.applied ? Math.max(0, tip.sequence - n.applied.sequence) : tip ? tip.sequence : null,
      lastContact: n.lastContact ?? null,
      lastResult: n.lastResult ?? null,
      health: n.lastResult ? (n.lastResult.ok ? "ok" : "failed") : "unknown",
      reachable: n.reachable ?? null,
      drift: n.drift ?? null,
      lastError: n.lastError ?? null,
    })),
  };
}

/** The same status read from the home's files (for the CLI, while serve may be running). */
export async function readClusterStatus(ctx: HomeContext): Promise<ClusterStatus> {
  const paths = syncPaths(ctx.layout.state);
  const nodes = await readJson<NodeRecord[]>(paths.nodes, []);
  const rollout = await readJson<RolloutState>(paths.rollout, {});
  const commit = await ctx.engine.branchTip("main");
  let tip: ReleaseHead | null = null;
  if (commit) {
    const snap = await readSnapshot(ctx, commit);
    const tag = (await ctx.engine.listTags("rp/")).find((t) => t.commit === commit);
    tip = { commit, sequence: snap.manifest.sequence, tag: tag?.name ?? "" };
  }
  const canaries = ctx.settings.sync.canary
    ? ctx.settings.sync.canary.filter((c) => nodes.some((n) => n.name === c))
    : [...nodes]
        .sort((a, b) => a.joinedAt.localeCompare(b.joinedAt))
        .slice(0, 1)
        .map((n) => n.name);
  return clusterStatus({ ctx, tip, nodes, rollout, canaries });
}

/** Human lines for `confvault cluster status` / `sync status`. */
export function formatClusterStatus(s: ClusterStatus): string {
  const short = (c?: string | null) => (c ? c.slice(0, 12) : "-");
  const lines = [
    `cluster ${s.cluster}: master ${s.node} at ${s.tip ? `${s.tip.tag || short(s.tip.commit)} (sequence ${s.tip.sequence})` : "no restore point yet"}`,
  ];
  if (s.rollout.held) {
    const h = s.rollout.held;
    lines.push(
      `ROLLOUT HELD at ${h.tag || short(h.commit)}: canary ${h.node} failed: ${h.error}`,
      "  fix the canary, then run `confvault sync resume` (or make a new restore point, e.g. a rollback)",
    );
  } else if (s.rollout.released) {
    lines.push(
      `released: ${s.rollout.released.tag || short(s.rollout.released.commit)} (sequence ${s.rollout.released.sequence})`,
    );
  }
  if (s.nodes.length === 0)
    lines.push("no slaves joined yet (`confvault cluster join-token` on this master)");
  for (const n of s.nodes) {
    const applied = n.applied
      ? `${n.applied.tag || short(n.applied.commit)} (sequence ${n.applied.sequence})`
      : "nothing applied";
    const flags = [
      n.canary ? "canary" : "",
      n.reachable === false ? "UNREACHABLE" : "",
      n.drift ? "DRIFT" : "",
      n.health === "failed" ? "LAST APPLY FAILED" : "",
    ].filter(Boolean);
    lines.push(
      `  ${n.name} ${n.url}: ${applied}, lag ${n.lag ?? "?"}, last contact ${n.lastContact ?? "never"}, health ${n.health}${flags.length ? ` [${flags.join(", ")}]` : ""}`,
    );
    if (n.lastError) lines.push(`    last error: ${n.lastError}`);
  }
  return lines.join("\n");
}
