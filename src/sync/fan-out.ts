import type { Logger } from "../home/context.ts";
import type { AppMetrics } from "../server/metrics.ts";
import type { Settings } from "../settings/schema.ts";
import { deliverWebhook, type SyncPayload } from "./deliver-webhook.ts";
import type { FetchLike } from "./http-json.ts";
import { createMutex, readJson, writeJson } from "./json-state.ts";
import type { NodeRecord, NodeRegistry } from "./node-registry.ts";
import type { ReleaseHead } from "./release.ts";

export interface HeldRollout extends ReleaseHead {
  node: string;
  error: string;
  at: string;
}

/** Rollout progress, persisted so a restarted master carries on where it stopped. */
export interface RolloutState {
  /** The newest restore point on main: being rolled out (or held). */
  target?: ReleaseHead & { at: string };
  /** The newest restore point cleared for every slave (the canary acked it, or there is no canary). */
  released?: ReleaseHead;
  held?: HeldRollout | null;
}

/** A slave's report after it handled a release (POST /api/v1/cluster/ack). */
export interface Ack {
  node: string;
  commit: string;
  sequence: number;
  ok: boolean;
  /** Not applied because the slave is already on this or a newer master sequence. */
  skipped?: boolean;
  error?: string;
  code?: string;
  /** The slave's own commit and tag for the release. */
  appliedCommit?: string;
  tag?: string;
  drift?: boolean;
  /** The master release the slave is on after handling this one. */
  applied?: { commit: string; sequence: number; tag: string } | null;
}

type WaitResult = { kind: "ok" } | { kind: "failed" | "unreachable" | "timeout" | "aborted"; error: string };

export interface FanOutDeps {
  registry: NodeRegistry;
  secret: string;
  cluster: string;
  stateFile: string;
  sync: Settings["sync"];
  fetch: FetchLike;
  logger: Logger;
  metrics?: Pick<AppMetrics, "nodeLag" | "syncPushes" | "syncDuration">;
  now?: () => Date;
}

function semaphore(limit: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((r) => queue.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/**
 * The master's side of a rollout: every new restore point goes to the canary nodes first; once
 * they ack it healthy it is released and pushed to all the others in parallel (bounded). A
 * canary that fails holds the rollout until `resume` or a newer restore point. Each slave has
 * one delivery worker: retries with backoff, and a newer restore point replaces an older one
 * still waiting, so a slave that is down never delays the others.
 */
export function createFanOut(deps: FanOutDeps) {
  const { registry, sync, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const persistLock = createMutex();
  const slot = semaphore(sync.concurrency);
  const workers = new Map<string, { pending?: ReleaseHead; running: boolean }>();
  const waiters = new Map<string, (r: WaitResult) => void>();
  let state: RolloutState = {};
  let current: AbortController | undefined;
  let tracking: { commit: string; started: number; acked: Set<string>; total: number } | undefined;
  let stopped = false;

  const persist = () => persistLock(() => writeJson(deps.stateFile, state));
  const key = (node: string, commit: string) => `${node} ${commit}`;
  const settle = (node: string, commit: string, r: WaitResult) => {
    const resolve = waiters.get(key(node, commit));
    waiters.delete(key(node, commit));
    resolve?.(r);
  };

  function canaryNames(nodes: NodeRecord[]): string[] {
    if (sync.canary) return sync.canary.filter((c) => nodes.some((n) => n.name === c));
    const first = [...nodes].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt))[0];
    return first ? [first.name] : [];
  }

  function dispatch(node: string, head: ReleaseHead): void {
    let w = workers.get(node);
    if (!w) workers.set(node, (w = { running: false }));
    w.pending = head;
    if (!w.running) void work(node, w);
  }

  async function work(name: string, w: { pending?: ReleaseHead; running: boolean }): Promise<void> {
    w.running = true;
    try {
      while (w.pending && !stopped) {
        const head = w.pending;
        w.pending = undefined;
        const node = await registry.get(name);
        if (!node) break;
        const payload: SyncPayload = {
          cluster: deps.cluster,
          commit: head.commit,
          tag: head.tag,
          sequence: head.sequence,
        };
        for (let attempt = 0; ; attempt++) {
          const r = await slot(() =>
            deliverWebhook({ fetch: deps.fetch, url: node.url, secret: deps.secret, payload }),
          );
          if (r.ok) {
            deps.metrics?.syncPushes.inc({ result: "delivered" });
            await registry.update(name, { reachable: true, lastContact: now().toISOString() });
            break;
          }
          const superseded = w.pending !== undefined;
          if (!r.retryable || attempt >= sync.retries || superseded || stopped) {
            deps.metrics?.syncPushes.inc({ result: r.retryable ? "failed" : "refused" });
            logger.warn(
              { node: name, commit: head.commit, error: r.error, attempts: attempt + 1 },
              "sync push failed",
            );
            await registry.update(name, { reachable: r.status !== 0, lastError: r.error });
            settle(name, head.commit, { kind: "unreachable", error: r.error ?? "" });
            break;
          }
          deps.metrics?.syncPushes.inc({ result: "retried" });
          await new Promise((res) => setTimeout(res, sync.retryBaseMs * 2 ** attempt));
        }
      }
    } finally {
      w.running = false;
    }
  }

  function deliverAndWait(node: string, head: ReleaseHead, signal: AbortSignal): Promise<WaitResult> {
    return new Promise<WaitResult>((resolve) => {
      const timer = setTimeout(
        () => finish({ kind: "timeout", error: `no result within ${sync.canaryTimeoutMs} ms` }),
        sync.canaryTimeoutMs,
      );
      const onAbort = () => finish({ kind: "aborted", error: "superseded by a newer restore point" });
      function finish(r: WaitResult) {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        waiters.delete(key(node, head.commit));
        resolve(r);
      }
      signal.addEventListener("abort", onAbort);
      waiters.set(key(node, head.commit), finish);
      dispatch(node, head);
    });
  }

  async function updateLag(): Promise<void> {
    if (!deps.metrics || !state.target) return;
    for (const n of await registry.list()) {
      deps.metrics.nodeLag.set(
        { node: n.name },
        Math.max(0, state.target.sequence - (n.applied?.sequence ?? 0)),
      );
    }
  }

  async function rollout(head: ReleaseHead, options: { skipCanary?: boolean } = {}): Promise<void> {
    current?.abort();
    const ac = new AbortController();
    current = ac;
    state.target = { ...head, at: now().toISOString() };
    state.held = null;
    await persist();
    const nodes = await registry.list();
    tracking = { commit: head.commit, started: performance.now(), acked: new Set(), total: nodes.length };
    await updateLag();
    const canaries = options.skipCanary ? [] : canaryNames(nodes);
    const passed = new Set<string>();
    if (canaries.length > 0) {
      logger.info({ commit: head.commit, tag: head.tag, canaries }, "sync: canary first");
      const results = await Promise.all(canaries.map((c) => deliverAndWait(c, head, ac.signal)));
      if (ac.signal.aborted || stopped) return;
      const failedAt = results.findIndex((r) => r.kind === "failed" || r.kind === "timeout");
      if (failedAt >= 0) {
        const r = results[failedAt] as { error: string };
        state.held = { ...head, node: canaries[failedAt]!, error: r.error, at: now().toISOString() };
        await persist();
        logger.warn(
          { commit: head.commit, tag: head.tag, node: state.held.node, error: r.error },
          "sync: canary failed, rollout held",
        );
        return;
      }
      results.forEach((r, i) => {
        if (r.kind === "ok") passed.add(canaries[i]!);
        else
          logger.warn(
            { node: canaries[i], error: "error" in r ? r.error : "" },
            "sync: canary unreachable, releasing without it",
          );
      });
    }
    state.released = { commit: head.commit, sequence: head.sequence, tag: head.tag };
    await persist();
    for (const n of nodes) if (!passed.has(n.name)) dispatch(n.name, head);
  }

  return {
    async init(): Promise<void> {
      state = await readJson<RolloutState>(deps.stateFile, {});
    },
    state: (): RolloutState => structuredClone(state),
    canaries: async () => canaryNames(await registry.list()),
    /** A new tip of main (or the same one after a restart: an unfinished rollout carries on). */
    async onTip(head: ReleaseHead): Promise<void> {
      if (state.target?.commit === head.commit) {
        if (state.held || state.released?.commit === head.commit) return;
      }
      await rollout(head);
    },
    /** Continues a held rollout (canary first again, unless skipCanary). */
    async resume(options: { skipCanary?: boolean } = {}): Promise<HeldRollout | null> {
      const held = state.held;
      if (!held) return null;
      await rollout({ commit: held.commit, sequence: held.sequence, tag: held.tag }, options);
      return held;
    },
    async ack(a: Ack): Promise<void> {
      const at = now().toISOString();
      const patch: Parameters<NodeRegistry["update"]>[1] = {
        lastContact: at,
        reachable: true,
        lastResult: {
          commit: a.commit,
          sequence: a.sequence,
          ok: a.ok,
          skipped: a.skipped,
          error: a.error,
          code: a.code,
          at,
        },
        lastError: a.ok ? undefined : a.error,
      };
      if (a.drift !== undefined) patch.drift = a.drift;
      if (a.applied) patch.applied = { ...a.applied, localCommit: a.appliedCommit, at };
      await registry.update(a.node, patch);
      if (deps.metrics && state.target && a.applied) {
        deps.metrics.nodeLag.set({ node: a.node }, Math.max(0, state.target.sequence - a.applied.sequence));
      }
      settle(a.node, a.commit, a.ok ? { kind: "ok" } : { kind: "failed", error: a.error ?? "failed" });
      if (a.ok && tracking?.commit === a.commit) {
        tracking.acked.add(a.node);
        if (tracking.acked.size >= tracking.total) {
          deps.metrics?.syncDuration.observe((performance.now() - tracking.started) / 1000);
          tracking = undefined;
        }
      }
    },
    /** What a slave's poller should be on: canaries get the newest, the others the released one. */
    async latestFor(node: string): Promise<ReleaseHead | null> {
      const isCanary = canaryNames(await registry.list()).includes(node);
      const pick = isCanary ? (state.target ?? state.released) : (state.released ?? null);
      return pick ? { commit: pick.commit, sequence: pick.sequence, tag: pick.tag } : null;
    },
    /** Pushes the released restore point to one node now (e.g. right after it joined). */
    push(node: string): void {
      if (state.released) dispatch(node, state.released);
    },
    stop(): void {
      stopped = true;
      current?.abort();
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;
