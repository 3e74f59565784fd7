import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { Logger } from "../home/context.ts";
import { openHome } from "../home/open-home.ts";
import { validateSettings } from "../settings/load-settings.ts";
import { type FetchLike, requestJson } from "./http-json.ts";
import { syncPaths, writeJson } from "./json-state.ts";
import type { JoinAnswer } from "./master-sync.ts";
import type { SlaveCredentials } from "./slave-sync.ts";

export interface JoinClusterOptions {
  dir: string;
  env: Record<string, string | undefined>;
  keyFile?: string;
  logger?: Logger;
  /** The master's URL. */
  master: string;
  joinToken: string;
  /** This slave's URL as the master reaches it. */
  url: string;
  fetch?: FetchLike;
}

/**
 * Joins a home to a master as a slave: registers the node's name, URL and age recipient with
 * the join token, stores the cluster secret and node token (mode 0600), and makes the home a
 * slave of that master. A fresh home adopts the master's cluster name.
 */
export async function joinCluster(
  options: JoinClusterOptions,
): Promise<{ node: string; cluster: string; masterNode: string; adoptedCluster: boolean }> {
  const fetchImpl = options.fetch ?? fetch;
  const open = () =>
    openHome({ dir: options.dir, env: options.env, keyFile: options.keyFile, logger: options.logger });
  let ctx = await open();
  let url: URL;
  try {
    url = new URL(options.url);
    new URL(options.master);
  } catch {
    throw new ConfvaultError(
      "BAD_USAGE",
      "--master and --url must be URLs",
      "for example --master http://10.0.1.10:8740 --url http://10.0.1.11:8740",
    );
  }
  const keys = await ctx.keys();
  const answer = await requestJson<JoinAnswer>(
    fetchImpl,
    new URL("/api/v1/cluster/join", options.master).toString(),
    {
      body: {
        node: ctx.settings.node,
        url: url.toString(),
        recipient: keys.recipient,
        joinToken: options.joinToken,
        cluster: ctx.settings.cluster,
      },
    },
  );
  const adoptedCluster = answer.cluster !== ctx.settings.cluster;
  if (adoptedCluster && (await ctx.engine.branchTip("main"))) {
    throw new ConfvaultError(
      "FOREIGN_CLUSTER",
      `the master's cluster is "${answer.cluster}", this home's is "${ctx.settings.cluster}" and it already has restore points sealed for it`,
      `create the slave's home with --cluster ${answer.cluster}, then join again with a new join token`,
    );
  }
  const paths = syncPaths(ctx.layout.state);
  const credentials: SlaveCredentials = {
    master: options.master,
    masterNode: answer.masterNode,
    cluster: answer.cluster,
    clusterSecret: answer.clusterSecret,
    nodeToken: answer.nodeToken,
    joinedAt: ctx.now().toISOString(),
  };
  await fsp.mkdir(ctx.layout.state, { recursive: true, mode: 0o700 });
  await writeJson(paths.credentials, credentials);
  const raw = JSON.parse(await fsp.readFile(ctx.layout.settings, "utf8")) as Record<string, unknown>;
  const sync = { ...((raw.sync as Record<string, unknown>) ?? {}), url: url.toString() };
  const settings = validateSettings(
    { ...raw, role: "slave", master: options.master, cluster: answer.cluster, sync },
    ctx.layout.settings,
  );
  await writeFileAtomic(
    ctx.layout.settings,
    new TextEncoder().encode(`${JSON.stringify(settings, null, 2)}\n`),
    { mode: 0o644 },
  );
  if (adoptedCluster) {
    // The sealing identity is derived from the cluster name: register the new recipient.
    ctx = await open();
    const renamed = await ctx.keys();
    await requestJson(fetchImpl, new URL("/api/v1/cluster/recipient", options.master).toString(), {
      token: answer.nodeToken,
      body: { recipient: renamed.recipient },
    });
  }
  return { node: ctx.settings.node, cluster: answer.cluster, masterNode: answer.masterNode, adoptedCluster };
}
