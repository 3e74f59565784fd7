import { promises as fsp } from "node:fs";
import { z } from "zod";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { parseCron } from "../ops/cron-times.ts";
import { validateRecipients } from "../seal/recipients.ts";
import type { AppMetrics, NodeHealth } from "../server/metrics.ts";
import { hashToken } from "../server/tokens.ts";
import { type ClusterStatus, clusterStatus } from "./cluster-status.ts";
import { type Ack, createFanOut, type HeldRollout } from "./fan-out.ts";
import type { FetchLike } from "./http-json.ts";
import { consumeJoinToken, ensureClusterSecret } from "./join-tokens.ts";
import { randomToken, readJson, syncPaths } from "./json-state.ts";
import { createNodeRegistry, type NodeRecord } from "./node-registry.ts";
import { createReleaseSource, type Release, type SignedReleaseHead } from "./release.ts";
import { watchTip } from "./tip-watcher.ts";

const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);

export const joinRequestSchema = z.object({
  node: nodeName,
  url: z.url(),
  recipient: z.string().min(1).max(2000),
  joinToken: z.string().min(1).max(200),
  cluster: z.string().optional(),
});

export const ackSchema = z.object({
  node: nodeName,
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  sequence: z.number().int().min(0),
  ok: z.boolean(),
  skipped: z.boolean().optional(),
  error: z.string().max(4000).optional(),
  code: z.string().max(100).optional(),
  appliedCommit: z.string().max(100).optional(),
  tag: z.string().max(300).optional(),
  drift: z.boolean().optional(),
  applied: z
    .object({ commit: z.string(), sequence: z.number().int(), tag: z.string() })
    .nullable()
    .optional(),
});

export interface JoinAnswer {
  cluster: string;
  clusterSecret: string;
  nodeToken: string;
  masterNode: string;
  /** The master's signing keys (`ssh-ed25519 …`): the slave pins them and trusts only releases they signed. */
  masterKeys: string[];
}

/** Public facts a slave reads before it joins (`GET /api/v1/cluster/join-info`, no token). */
export interface JoinInfo {
  cluster: string;
  masterNode: string;
  masterKeys: string[];
}

/** What the HTTP routes of a master call (see src/server/sync-routes.ts). */
export interface MasterSyncApi {
  role: "master";
  join(body: unknown): Promise<JoinAnswer>;
  joinInfo(): Promise<JoinInfo>;
  /** The node a node token belongs to; UNAUTHORIZED otherwise. */
  authenticate(token: string | undefined): Promise<NodeRecord>;
  latest(node: NodeRecord, report: { drift?: boolean }): Promise<SignedReleaseHead | null>;
  release(node: NodeRecord, commit: string): Promise<Release>;
  ack(node: NodeRecord, body: unknown): Promise<void>;
  /** An operator re-keys a node (node tokens cannot: see sync-routes.ts). */
  setRecipient(nodeName: string, recipient: string): Promise<void>;
  status(): Promise<ClusterStatus>;
  resume(options: { skipCanary?: boolean }): Promise<HeldRollout | null>;
}

function badInput(what: string, issues: z.core.$ZodIssue[], hint: string): never {
  throw new ConfvaultError(
    "BAD_INPUT",
    `invalid ${what}: ${issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")}`,
    hint,
  );
}

/** The master's cluster sync: joins, releases, acks, the tip watcher and the fan-out. */
export async function createMasterSync(options: {
  ctx: HomeContext;
  fetch?: FetchLike;
  metrics?: Pick<AppMetrics, "nodeLag" | "syncPushes" | "syncDuration"> &
    Partial<Pick<AppMetrics, "nodeHealth">>;
}): Promise<MasterSyncApi & { start(): void; stop(): Promise<void> }> {
  const { ctx } = options;
  const paths = syncPaths(ctx.layout.state);
  await fsp.mkdir(ctx.layout.state, { recursive: true, mode: 0o700 });
  const secret = await ensureClusterSecret(paths.clusterSecret);
  const registry = createNodeRegistry(paths.nodes);
  const releases = createReleaseSource(ctx);
  const fanOut = createFanOut({
    registry,
    secret,
    cluster: ctx.settings.cluster,
    stateFile: paths.rollout,
    sync: ctx.settings.sync,
    fetch: options.fetch ?? fetch,
    logger: ctx.logger,
    metrics: options.metrics,
    now: () => ctx.now(),
  });
  await fanOut.init();
  let watcher: ReturnType<typeof watchTip> | undefined;

  const api: MasterSyncApi = {
    role: "master",
    async join(body) {
      const parsed = joinRequestSchema.safeParse(body);
      if (!parsed.success)
        badInput("join request", parsed.error.issues, 'send {"node", "url", "recipient", "joinToken"}');
      const req = parsed.data;
      validateRecipients([req.recipient]);
      if (req.node === ctx.settings.node) {
        throw new ConfvaultError(
          "CONFLICT",
          `the master itself is called ${req.node}`,
          "give the slave another --node name",
        );
      }
      await consumeJoinToken(paths.joinTokens, req.joinToken, ctx.now());
      const nodeToken = randomToken("cvn_", 32);
      await registry.join({
        name: req.node,
        url: req.url,
        recipient: req.recipient,
        tokenHash: await hashToken(nodeToken),
        joinedAt: ctx.now().toISOString(),
      });
      ctx.logger.info({ node: req.node, url: req.url }, "sync: node joined");
      return {
        cluster: ctx.settings.cluster,
        clusterSecret: secret,
        nodeToken,
        masterNode: ctx.settings.node,
        masterKeys: [(await ctx.keys()).signer.sshPublicKey],
      };
    },
    async joinInfo() {
      return {
        cluster: ctx.settings.cluster,
        masterNode: ctx.settings.node,
        masterKeys: [(await ctx.keys()).signer.sshPublicKey],
      };
    },
    async authenticate(token) {
      const node = token ? await registry.byToken(token) : undefined;
      if (!node) {
        throw new ConfvaultError(
          "UNAUTHORIZED",
          "unknown node token",
          "join this slave again: `confvault cluster join --master URL --join-token T`",
        );
      }
      return node;
    },
    async latest(node, report) {
      await registry.update(node.name, {
        lastContact: ctx.now().toISOString(),
        reachable: true,
        ...(report.drift === undefined ? {} : { drift: report.drift }),
      });
      const head = await fanOut.latestFor(node.name);
      return head ? await releases.signHead(head) : null;
    },
    async release(node, commit) {
      return await releases.build(commit, node.recipient);
    },
    async ack(node, body) {
      const parsed = ackSchema.safeParse(body);
      if (!parsed.success)
        badInput("ack", parsed.error.issues, "the slave runs an incompatible confvault version");
      if (parsed.data.node !== node.name) {
        throw new ConfvaultError(
          "FORBIDDEN",
          `node ${node.name} cannot report for ${parsed.data.node}`,
          "each slave reports with its own node token",
        );
      }
      await fanOut.ack(parsed.data as Ack);
    },
    async setRecipient(nodeName, recipient) {
      validateRecipients([recipient]);
      if (!(await registry.get(nodeName))) {
        throw new ConfvaultError(
          "NOT_FOUND",
          `no node ${nodeName} in this cluster`,
          "see `confvault cluster status`",
        );
      }
      await registry.update(nodeName, { recipient });
      await registry.flush();
      ctx.logger.warn({ node: nodeName }, "sync: an operator changed a node's recipient");
    },
    async status() {
      const tip = await ctx.engine.branchTip("main");
      return clusterStatus({
        ctx,
        tip: tip ? await releases.head(tip) : null,
        nodes: await registry.list(),
        rollout: fanOut.state(),
        canaries: await fanOut.canaries(),
      });
    },
    resume: (o) => fanOut.resume(o),
  };

  const takeResumeRequest = async () => {
    const request = await readJson<{ skipCanary?: boolean } | null>(paths.resume, null);
    if (request === null) return;
    await fsp.rm(paths.resume, { force: true });
    const held = await fanOut.resume({ skipCanary: request.skipCanary });
    ctx.logger.info(
      { held: held?.tag ?? null },
      held ? "sync: rollout resumed" : "sync: resume requested, nothing was held",
    );
  };

  // The per-node gauges: a slave not heard from within 3 poll intervals is unhealthy however
  // small its lag (a dead slave acks nothing, so its lag would otherwise stay where it was).
  const staleAfterMs = nodeStaleAfterMs(ctx.settings.sync);
  const readNodeHealth = async () =>
    (await registry.list()).map((n) => nodeHealth(n, ctx.now().getTime(), staleAfterMs));

  return {
    ...api,
    start() {
      if (options.metrics?.nodeHealth) options.metrics.nodeHealth.read = readNodeHealth;
      // Derive the identity now (scrypt), not when the first restore point is to be pushed.
      void ctx
        .keys()
        .catch((err) => ctx.logger.error({ err: (err as Error).message }, "sync: no activation key"));
      watcher = watchTip({
        ctx,
        intervalMs: ctx.settings.sync.watchIntervalMs,
        onTip: async (commit) => {
          const head = await releases.head(commit);
          void fanOut
            .onTip(head)
            .catch((err) => ctx.logger.error({ err: (err as Error).message }, "sync: rollout failed"));
        },
        onTick: takeResumeRequest,
      });
    },
    async stop() {
      if (options.metrics?.nodeHealth?.read === readNodeHealth) delete options.metrics.nodeHealth.read;
      watcher?.stop();
      fanOut.stop();
      await registry.flush();
    },
  };
}

/**
 * How long a slave may stay silent before the master calls it unhealthy: 3 of its poll
 * intervals (the largest gap of `sync.pollSchedule`, as the master's settings give it, plus the
 * poll jitter). A slave that polls on time is always heard from well within it.
 */
export function nodeStaleAfterMs(sync: { pollSchedule: string; pollJitterMs: number }): number {
  const week = 7 * 86_400_000;
  let interval = week;
  try {
    const cron = parseCron(sync.pollSchedule);
    const now = new Date();
    const fires: number[] = [];
    let before = now;
    while (fires.length < 8) {
      const t = cron.previous(before, new Date(now.getTime() - week));
      if (!t) break;
      fires.push(t.getTime());
      before = new Date(t.getTime() - 1000);
    }
    if (fires.length >= 2) interval = Math.max(...fires.slice(1).map((t, i) => fires[i]! - t));
  } catch {
    // An invalid schedule is reported by the slave that runs it; assume a weekly poll here.
  }
  return 3 * (interval + sync.pollJitterMs);
}

/** One node's last contact (its join when it never called since) and health, for the gauges. */
export function nodeHealth(n: NodeRecord, nowMs: number, staleAfterMs: number): NodeHealth {
  const contact = Date.parse(n.lastContact ?? n.joinedAt);
  const fresh = Number.isFinite(contact) && nowMs - contact <= staleAfterMs;
  return {
    node: n.name,
    lastContact: Number.isFinite(contact) ? contact / 1000 : 0,
    healthy: fresh && n.reachable !== false && n.lastResult?.ok !== false,
  };
}
