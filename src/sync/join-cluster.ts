import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext, Logger } from "../home/context.ts";
import { openHome } from "../home/open-home.ts";
import { validateSettings } from "../settings/load-settings.ts";
import { type FetchLike, requestJson } from "./http-json.ts";
import { parseJoinToken } from "./join-tokens.ts";
import { syncPaths, writeJson } from "./json-state.ts";
import type { JoinAnswer, JoinInfo } from "./master-sync.ts";
import { createPinnedFetch } from "./pinned-fetch.ts";
import { keyFingerprint } from "./release-signature.ts";
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
  /** Allow plain HTTP to the master (node tokens cross the wire in clear); recorded in the credentials. */
  insecureHttp?: boolean;
}

/**
 * Joins a home to a master as a slave. The join token (out of band) carries the fingerprint of
 * the master's signing key: the slave first reads `GET /api/v1/cluster/join-info` (cluster,
 * master node, master keys), refuses a master whose key does not match the token, adopts the
 * master's cluster name when the home is fresh (the sealing identity depends on it), and only
 * then registers its name, URL and age recipient with the join token. It stores the cluster
 * secret, node token and the pinned master key (and TLS fingerprint) in its credentials (0600).
 */
export async function joinCluster(
  options: JoinClusterOptions,
): Promise<{ node: string; cluster: string; masterNode: string; adoptedCluster: boolean }> {
  const token = parseJoinToken(options.joinToken);
  // Tests inject `fetch`; otherwise the master's certificate is pinned to the token's fingerprint.
  const fetchImpl =
    options.fetch ??
    createPinnedFetch({
      fingerprint256: token.tlsFingerprint256,
      allowInsecureHttp: options.insecureHttp === true,
      logger: options.logger,
    });
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
  const info = await requestJson<JoinInfo>(
    fetchImpl,
    new URL("/api/v1/cluster/join-info", options.master).toString(),
  );
  const pinned = await pinnedKey(info.masterKeys, token.keyFingerprint);
  const adoptedCluster = info.cluster !== ctx.settings.cluster;
  if (adoptedCluster) {
    if (await ctx.engine.branchTip("main")) {
      throw new ConfvaultError(
        "FOREIGN_CLUSTER",
        `the master's cluster is "${info.cluster}", this home's is "${ctx.settings.cluster}" and it already has restore points sealed for it`,
        `create the slave's home with --cluster ${info.cluster}, then join again with a new join token`,
      );
    }
    // The sealing identity is derived from the cluster name: adopt it before registering.
    await writeSettings(ctx, { cluster: info.cluster });
    ctx = await open();
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
  if (answer.cluster !== info.cluster || !(answer.masterKeys ?? []).includes(pinned)) {
    throw new ConfvaultError(
      "RELEASE_UNTRUSTED",
      "the master's join answer names another cluster or signing key than its join-info",
      "something between this node and the master changed the answers: check the network path, then join again with a fresh token",
      { reason: "join-answer-mismatch" },
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
    masterKeys: [pinned],
    ...(token.tlsFingerprint256 ? { tlsFingerprint256: token.tlsFingerprint256 } : {}),
    ...(options.insecureHttp ? { insecureHttp: true } : {}),
  };
  await fsp.mkdir(ctx.layout.state, { recursive: true, mode: 0o700 });
  await writeJson(paths.credentials, credentials);
  await writeSettings(ctx, {
    role: "slave",
    master: options.master,
    cluster: answer.cluster,
    syncUrl: url.toString(),
  });
  return { node: ctx.settings.node, cluster: answer.cluster, masterNode: answer.masterNode, adoptedCluster };
}

/** The master key whose fingerprint the join token carries; RELEASE_UNTRUSTED when none matches. */
async function pinnedKey(keys: unknown, fingerprint: string): Promise<string> {
  for (const k of Array.isArray(keys) ? keys : []) {
    if (typeof k === "string" && (await keyFingerprint(k)) === fingerprint) return k;
  }
  throw new ConfvaultError(
    "RELEASE_UNTRUSTED",
    "the master's signing key does not match the fingerprint in the join token; not joining",
    "make sure --master is the master that printed the token (something in between may be impersonating it), or make a new token there",
    { reason: "join-key-mismatch" },
  );
}

async function writeSettings(
  ctx: HomeContext,
  patch: { role?: string; master?: string; cluster?: string; syncUrl?: string },
): Promise<void> {
  const raw = JSON.parse(await fsp.readFile(ctx.layout.settings, "utf8")) as Record<string, unknown>;
  const { syncUrl, ...rest } = patch;
  const sync = syncUrl ? { ...((raw.sync as Record<string, unknown>) ?? {}), url: syncUrl } : raw.sync;
  const settings = validateSettings(
    { ...raw, ...rest, ...(sync === undefined ? {} : { sync }) },
    ctx.layout.settings,
  );
  await writeFileAtomic(
    ctx.layout.settings,
    new TextEncoder().encode(`${JSON.stringify(settings, null, 2)}\n`),
    { mode: 0o644 },
  );
}
