import type { HomeContext } from "../home/context.ts";
import { type ClusterStatus, formatClusterStatus, readClusterStatus } from "./cluster-status.ts";
import { readJson, syncPaths } from "./json-state.ts";
import type { SlaveCredentials, SlaveState, SlaveStatus } from "./slave-sync.ts";

/** The cluster part of `status`, read from the home's files: master → nodes, slave → its master and last release. */
export async function readSyncStatus(ctx: HomeContext): Promise<ClusterStatus | SlaveStatus | null> {
  if (ctx.settings.role === "master") return await readClusterStatus(ctx);
  if (ctx.settings.role !== "slave") return null;
  const paths = syncPaths(ctx.layout.state);
  const creds = await readJson<SlaveCredentials | null>(paths.credentials, null);
  const state = await readJson<SlaveState>(paths.slave, { applied: null, failed: null });
  return {
    role: "slave",
    node: ctx.settings.node,
    cluster: ctx.settings.cluster,
    master: creds?.master ?? ctx.settings.master ?? null,
    masterNode: creds?.masterNode ?? null,
    joined: creds !== null,
    applied: state.applied,
    failed: state.failed,
    lastRefused: state.lastRefused ?? null,
    lastPoll: null,
  };
}

export function formatSyncStatus(s: ClusterStatus | SlaveStatus | null): string {
  if (s === null) return "standalone: no cluster sync";
  if (s.role === "master") return formatClusterStatus(s);
  const lines = [
    `slave ${s.node} of ${s.masterNode ?? "?"} (${s.master ?? "no master URL"}), cluster ${s.cluster}${s.joined ? "" : " — NOT JOINED"}`,
    s.applied
      ? `applied master ${s.applied.tag || s.applied.commit.slice(0, 12)} (sequence ${s.applied.sequence}) as ${s.applied.localTag} at ${s.applied.at}`
      : "no master release applied yet",
  ];
  if (s.failed)
    lines.push(
      `last failure: ${s.failed.commit.slice(0, 12)} (sequence ${s.failed.sequence}): ${s.failed.code} ${s.failed.error}`,
    );
  if (s.lastRefused)
    lines.push(
      `last REFUSED answer: ${s.lastRefused.commit.slice(0, 12) || "latest head"} (${s.lastRefused.reason}) at ${s.lastRefused.at}: ${s.lastRefused.error}`,
    );
  return lines.join("\n");
}
