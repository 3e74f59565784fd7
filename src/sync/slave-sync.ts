import path from "node:path";
import cron from "node-cron";
import { Counter, type Registry } from "prom-client";
import { z } from "zod";
import { runChangeHook } from "../core/change-hooks.ts";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import { removeStaleTemps } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";
import { nodeX509 } from "../seal/node-x509.ts";
import type { AppMetrics } from "../server/metrics.ts";
import { logChange } from "../server/observe.ts";
import { applyRelease, liveMatchesTip } from "./apply-release.ts";
import { createDeliveryLog } from "./delivery-log.ts";
import { type FetchLike, requestJson } from "./http-json.ts";
import { createMutex, readJson, syncPaths, writeJson } from "./json-state.ts";
import { openRelease, verifyReleaseHead } from "./open-release.ts";
import type { ReleaseHead } from "./release.ts";
import { SIGNATURE_WINDOW_SECONDS, verifySyncRequest } from "./signature.ts";

/** What a slave keeps after joining (state/sync-credentials.json, mode 0600). */
export interface SlaveCredentials {
  master: string;
  masterNode: string;
  cluster: string;
  clusterSecret: string;
  nodeToken: string;
  joinedAt: string;
  /** The master's signing keys (`ssh-ed25519 …`), pinned at join: only what they signed is applied. */
  masterKeys: string[];
  /** Lower-case hex sha256 of the master's TLS certificate DER, pinned at join (from the join token). */
  tlsFingerprint256?: string;
  /** Joined with `--insecure-http`: plain HTTP to the master is allowed (node tokens in clear). */
  insecureHttp?: boolean;
}

/** The last master release this slave applied, and the last one it could not. */
export interface SlaveState {
  applied: {
    commit: string;
    sequence: number;
    tag: string;
    localCommit: string;
    localTag: string;
    at: string;
  } | null;
  failed: { commit: string; sequence: number; error: string; code: string; at: string } | null;
  /**
   * The last answer refused before anything was opened (RELEASE_UNTRUSTED: unsigned, unknown key,
   * bad signature, wrong commit, malformed). Unlike `failed` it never stops a later fetch of the
   * same commit: a relay forging one answer must not block the genuine release.
   */
  lastRefused?: { commit: string; reason: string; error: string; at: string } | null;
}

export interface SlaveStatus {
  role: "slave";
  node: string;
  cluster: string;
  master: string | null;
  masterNode: string | null;
  joined: boolean;
  applied: SlaveState["applied"];
  failed: SlaveState["failed"];
  lastRefused: SlaveState["lastRefused"] | null;
  lastPoll: { at: string; ok: boolean; error?: string } | null;
}

export interface SlaveSyncApi {
  role: "slave";
  /** Checks a sync webhook and queues the fetch; resolves before anything is applied. */
  webhook(request: {
    body: string;
    signature?: string | null;
    timestamp?: string | null;
    delivery?: string | null;
  }): Promise<{ accepted: true; delivery: string; commit: string }>;
  status(): Promise<SlaveStatus>;
}

const payloadSchema = z.object({
  cluster: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  tag: z.string().optional(),
  sequence: z.number().int().optional(),
});

type Origin = "webhook" | "poll";

/**
 * A slave's cluster sync: webhooks trigger a fetch of the release, which is verified, opened
 * with this node's own identity and applied through the one apply path, one at a time and never
 * backwards by master sequence; a node-cron poller catches up whatever a webhook missed; every
 * outcome is reported to the master.
 */
export async function createSlaveSync(options: {
  ctx: HomeContext;
  fetch?: FetchLike;
  /** Pinned fetch for these credentials (TLS fingerprint, no plain HTTP unless allowed); tests inject `fetch` instead. */
  fetchFor?: (credentials: SlaveCredentials) => FetchLike;
  metrics?: Pick<AppMetrics, "registry">;
}): Promise<SlaveSyncApi & { start(): void; stop(): Promise<void>; pollOnce(): Promise<void> }> {
  const { ctx } = options;
  const refusals = refusedCounter(options.metrics?.registry);
  const paths = syncPaths(ctx.layout.state);
  const deliveries = createDeliveryLog(paths.deliveries, SIGNATURE_WINDOW_SECONDS * 2, () => ctx.now());
  const persist = createMutex();
  let credentials = await readJson<SlaveCredentials | null>(paths.credentials, null);
  let state = await readJson<SlaveState>(paths.slave, { applied: null, failed: null });
  let lastPoll: SlaveStatus["lastPoll"] = null;
  let task: ReturnType<typeof cron.schedule> | undefined;
  let stopped = false;
  const inFlight = new Map<string, Promise<void>>();
  const serial = createMutex();

  const creds = async (): Promise<SlaveCredentials> => {
    credentials ??= await readJson<SlaveCredentials | null>(paths.credentials, null);
    if (!credentials) {
      throw new ConfvaultError(
        "UNAUTHORIZED",
        `node ${ctx.settings.node} has not joined a cluster`,
        "run `confvault cluster join --master URL --join-token T --url http://this-node:port`",
      );
    }
    return credentials;
  };
  const api = (c: SlaveCredentials, p: string) => new URL(p, c.master).toString();
  let pinned: { c: SlaveCredentials; f: FetchLike } | undefined;
  const fetchFor = (c: SlaveCredentials): FetchLike => {
    if (options.fetch) return options.fetch;
    if (!options.fetchFor) return fetch;
    if (pinned?.c !== c) pinned = { c, f: options.fetchFor(c) };
    return pinned.f;
  };
  const masterKeys = (c: SlaveCredentials): string[] => {
    if (!Array.isArray(c.masterKeys) || c.masterKeys.length === 0) {
      throw new ConfvaultError(
        "RELEASE_UNTRUSTED",
        "this slave has no pinned master key (it joined before releases were signed)",
        "join this slave again with a fresh join token (`confvault cluster join-token` on the master)",
        { reason: "no-pinned-key" },
      );
    }
    return c.masterKeys;
  };

  /** A refused answer: logged at error, counted, kept in the status; never recorded as `failed`. */
  async function refused(commit: string, err: ConfvaultError): Promise<void> {
    const reason = String(err.data.reason ?? "untrusted");
    refusals?.inc({ reason });
    ctx.logger.error({ commit, reason, err: err.message }, "sync: release refused, nothing applied");
    state = { ...state, lastRefused: { commit, reason, error: err.message, at: ctx.now().toISOString() } };
    await persist(() => writeJson(paths.slave, state));
  }

  async function ack(c: SlaveCredentials, body: Record<string, unknown>): Promise<void> {
    let drift: boolean | undefined;
    try {
      drift = !(await liveMatchesTip(ctx));
    } catch {
      drift = undefined;
    }
    const payload = {
      node: ctx.settings.node,
      ...body,
      drift,
      applied: state.applied
        ? { commit: state.applied.commit, sequence: state.applied.sequence, tag: state.applied.tag }
        : null,
    };
    for (let attempt = 0; attempt < 4 && !stopped; attempt++) {
      try {
        await requestJson(fetchFor(c), api(c, "/api/v1/cluster/ack"), {
          token: c.nodeToken,
          body: payload,
          timeoutMs: 5_000,
        });
        return;
      } catch (err) {
        if (attempt === 3 || !(isConfvaultError(err) && err.data.unreachable)) {
          ctx.logger.warn({ err: (err as Error).message }, "sync: could not report to the master");
          return;
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  async function handle(commit: string, origin: Origin): Promise<void> {
    const c = await creds();
    if (origin === "poll" && state.failed?.commit === commit) return;
    const keys = await ctx.keys();
    let raw: unknown;
    try {
      raw = await requestJson(fetchFor(c), api(c, `/api/v1/releases/${commit}`), {
        token: c.nodeToken,
        timeoutMs: 30_000,
      });
    } catch (err) {
      ctx.logger.warn(
        { commit, err: (err as Error).message },
        "sync: cannot fetch the release; staying on the current config",
      );
      return;
    }
    const base = { commit, sequence: 0 };
    const fail = async (err: unknown, sequence: number) => {
      const e = isConfvaultError(err) ? err : new ConfvaultError("INTERNAL", (err as Error).message);
      ctx.logger.error({ commit, code: e.code, err: e.message }, "sync: release not applied");
      state = {
        ...state,
        failed: { commit, sequence, error: e.message, code: e.code, at: ctx.now().toISOString() },
      };
      await persist(() => writeJson(paths.slave, state));
      await ack(c, { ...base, sequence, ok: false, error: e.message, code: e.code });
    };
    let release: Awaited<ReturnType<typeof openRelease>>;
    try {
      release = await openRelease(raw, {
        identity: keys.identity,
        cluster: ctx.settings.cluster,
        masterKeys: masterKeys(c),
        commit,
        recipient: keys.recipient,
        x509: nodeX509,
      });
    } catch (err) {
      if (isConfvaultError(err) && err.code === "RELEASE_UNTRUSTED") {
        await refused(commit, err);
        await ack(c, { ...base, ok: false, error: err.message, code: err.code });
        return;
      }
      await fail(err, (raw as { sequence?: number })?.sequence ?? 0);
      return;
    }
    if (state.applied && release.sequence <= state.applied.sequence) {
      // Reordered or duplicated: never go backwards (a master restore is a newer sequence).
      await ack(c, {
        commit,
        sequence: release.sequence,
        ok: true,
        skipped: true,
        tag: release.tag,
        appliedCommit: state.applied.localCommit,
      });
      return;
    }
    const started = performance.now();
    try {
      const done = await applyRelease(ctx, release, c.masterNode);
      state = {
        applied: {
          commit,
          sequence: release.sequence,
          tag: release.tag,
          localCommit: done.commit,
          localTag: done.tag,
          at: ctx.now().toISOString(),
        },
        failed: null,
        lastRefused: state.lastRefused ?? null,
      };
      await persist(() => writeJson(paths.slave, state));
      for (const w of done.warnings) ctx.logger.warn({ commit }, w);
      logChange(ctx.logger, {
        source: "sync",
        tag: done.tag,
        commit: done.commit,
        actor: `master:${c.masterNode}`,
        durationMs: performance.now() - started,
        extra: {
          master_commit: commit,
          master_tag: release.tag,
          sequence: release.sequence,
          changed: done.changed,
          origin,
        },
      });
      const hook = await runChangeHook(ctx, "post-sync", {
        source: "sync",
        reason: release.reason,
        actor: `master:${c.masterNode}`,
        commit: done.commit,
        tag: done.tag,
      });
      await ack(c, {
        commit,
        sequence: release.sequence,
        ok: true,
        tag: release.tag,
        appliedCommit: done.commit,
        ...(hook.ok ? {} : { error: `post-sync hook failed (exit ${hook.exitCode})` }),
      });
    } catch (err) {
      await fail(err, release.sequence);
    }
  }

  /** Queues one commit; the same commit already queued or running is not fetched twice. */
  function enqueue(commit: string, origin: Origin): Promise<void> {
    const existing = inFlight.get(commit);
    if (existing) return existing;
    const run = serial(() => handle(commit, origin)).finally(() => inFlight.delete(commit));
    inFlight.set(commit, run);
    run.catch((err) =>
      ctx.logger.error({ commit, err: (err as Error).message }, "sync: handling a release failed"),
    );
    return run;
  }

  async function pollOnce(): Promise<void> {
    let c: SlaveCredentials;
    try {
      c = await creds();
    } catch {
      return;
    }
    let drift: boolean | undefined;
    try {
      drift = !(await liveMatchesTip(ctx));
    } catch {
      drift = undefined;
    }
    let latest: ReleaseHead | null;
    let answer: unknown;
    try {
      const q = drift === undefined ? "" : `?drift=${drift ? 1 : 0}`;
      answer = (
        await requestJson<{ release: unknown }>(fetchFor(c), api(c, `/api/v1/releases/latest${q}`), {
          token: c.nodeToken,
          timeoutMs: 10_000,
        })
      ).release;
      latest =
        answer === null || answer === undefined
          ? null
          : await verifyReleaseHead(answer, { cluster: ctx.settings.cluster, masterKeys: masterKeys(c) });
      lastPoll = { at: ctx.now().toISOString(), ok: true };
    } catch (err) {
      lastPoll = { at: ctx.now().toISOString(), ok: false, error: (err as Error).message };
      if (isConfvaultError(err) && err.code === "RELEASE_UNTRUSTED") {
        await refused((answer as { commit?: string } | undefined)?.commit ?? "", err);
        return;
      }
      ctx.logger.warn({ err: (err as Error).message }, "sync: poll failed; staying on the current config");
      return;
    }
    if (!latest || (state.applied && latest.sequence <= state.applied.sequence)) return;
    await enqueue(latest.commit, "poll").catch(() => undefined);
  }

  return {
    role: "slave",
    async webhook(request) {
      const c = await creds();
      const { delivery } = await verifySyncRequest({
        secret: c.clusterSecret,
        body: request.body,
        headers: request,
        now: ctx.now(),
      });
      let payload: z.infer<typeof payloadSchema>;
      try {
        payload = payloadSchema.parse(JSON.parse(request.body));
      } catch {
        throw new ConfvaultError(
          "BAD_INPUT",
          "the sync webhook body is not {cluster, commit, tag}",
          "the master runs an incompatible confvault version",
        );
      }
      if (payload.cluster !== ctx.settings.cluster) {
        throw new ConfvaultError(
          "FOREIGN_CLUSTER",
          `the webhook is for cluster "${payload.cluster}", this node is in "${ctx.settings.cluster}"`,
          "check which master this node joined",
        );
      }
      await deliveries.remember(delivery);
      void enqueue(payload.commit, "webhook");
      return { accepted: true, delivery, commit: payload.commit };
    },
    async status() {
      return {
        role: "slave",
        node: ctx.settings.node,
        cluster: ctx.settings.cluster,
        master: credentials?.master ?? ctx.settings.master ?? null,
        masterNode: credentials?.masterNode ?? null,
        joined: credentials !== null,
        applied: state.applied,
        failed: state.failed,
        lastRefused: state.lastRefused ?? null,
        lastPoll,
      };
    },
    pollOnce,
    start() {
      const live = ctx.live("config");
      if (live) void removeStaleTemps(path.dirname(live));
      // Derive the identity now, not on the first webhook.
      void ctx
        .keys()
        .catch((err) => ctx.logger.error({ err: (err as Error).message }, "sync: no activation key"));
      task = cron.schedule(ctx.settings.sync.pollSchedule, () => pollOnce(), {
        name: `confvault-poll-${ctx.settings.node}`,
        noOverlap: true,
        maxRandomDelay: ctx.settings.sync.pollJitterMs,
      });
      // node-cron does not run what was missed while the process was down: catch up now.
      void pollOnce();
    },
    async stop() {
      stopped = true;
      await task?.destroy();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

const REFUSED_METRIC = "confvault_sync_releases_refused_total";

/** `confvault_sync_releases_refused_total{reason}` on the app's registry (once per registry). */
function refusedCounter(registry: Registry | undefined): Counter<"reason"> | undefined {
  if (!registry) return undefined;
  const existing = registry.getSingleMetric(REFUSED_METRIC) as Counter<"reason"> | undefined;
  return (
    existing ??
    new Counter({
      name: REFUSED_METRIC,
      help: "Releases and heads a slave refused before opening them, by reason (unsigned, unknown-key, bad-signature, wrong-commit, malformed)",
      labelNames: ["reason"] as const,
      registers: [registry],
    })
  );
}
