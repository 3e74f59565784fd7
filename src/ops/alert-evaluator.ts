import type { Counter } from "prom-client";
import type { HomeContext } from "../home/context.ts";
import { deliverWebhook, type FetchLike } from "./alert-deliver.ts";
import { renderAlert } from "./alert-render.ts";
import { evaluateRules, type Incident, type ProcessFacts } from "./alert-rules.ts";
import { gatherOpsFacts, type OpsFacts } from "./ops-facts.ts";
import { createSerial, opsPaths, readState, writeState } from "./state-file.ts";

export interface IncidentRecord {
  kind: Incident["kind"];
  severity: Incident["severity"];
  title: string;
  summary: string;
  firstSeen: string;
  resolvedAt: string | null;
  /** Webhook URLs that acknowledged each notification. */
  notified: { firing: string[]; resolved: string[] };
  lastError?: string;
}

export interface AlertsState {
  version: 1;
  incidents: Record<string, IncidentRecord>;
}

export interface AlertEvaluator {
  /** Gathers facts, opens and resolves incidents, and sends what is not yet delivered. */
  evaluate(): Promise<{ active: string[]; sent: number; failed: number }>;
  state(): Promise<AlertsState>;
}

const KEEP_RESOLVED_MS = 7 * 86_400_000;

export function readAlertsState(stateDir: string): Promise<AlertsState> {
  return readState<AlertsState>(opsPaths(stateDir).alerts, { version: 1, incidents: {} });
}

/**
 * Alerts, sent once per incident and once when it clears: incidents are keyed by id in
 * `<home>/state/alerts.json` together with which webhook acknowledged which message, so a
 * restart neither repeats nor loses one. Undelivered messages are retried with backoff within
 * a tick and again on the next tick.
 */
export function createAlertEvaluator(options: {
  ctx: HomeContext;
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  /** The apply counter of the HTTP app: failed applies since the last good one become an incident. */
  applies?: Counter<"result">;
  gather?: (ctx: HomeContext) => Promise<OpsFacts>;
}): AlertEvaluator {
  const { ctx } = options;
  const settings = ctx.settings.alerts;
  const file = opsPaths(ctx.layout.state).alerts;
  const serial = createSerial();
  const proc: ProcessFacts = { behindSince: {} };
  let applyBaseline: { errors: number; good: number } | undefined;

  async function watchApplies(now: string) {
    if (!options.applies) return;
    const values = (await options.applies.get()).values;
    const errors = values.filter((v) => v.labels.result === "error").reduce((a, v) => a + v.value, 0);
    const good = values
      .filter((v) => v.labels.result === "changed" || v.labels.result === "unchanged")
      .reduce((a, v) => a + v.value, 0);
    applyBaseline ??= { errors, good };
    if (good > applyBaseline.good) {
      applyBaseline = { errors, good };
      delete proc.applyFailures;
    } else if (errors > applyBaseline.errors) {
      proc.applyFailures = { count: errors - applyBaseline.errors, since: proc.applyFailures?.since ?? now };
    }
  }

  function trackBehind(facts: OpsFacts) {
    const behind = proc.behindSince!;
    if (facts.sync?.role !== "master") return;
    const seen = new Set<string>();
    for (const n of facts.sync.nodes) {
      if ((n.lag ?? 0) > 0) {
        behind[n.name] ??= facts.now;
        seen.add(n.name);
      }
    }
    for (const name of Object.keys(behind)) if (!seen.has(name)) delete behind[name];
  }

  async function send(id: string, rec: IncidentRecord, status: "firing" | "resolved") {
    let sent = 0;
    let failed = 0;
    const incident: Incident = {
      id,
      kind: rec.kind,
      severity: rec.severity,
      title: rec.title,
      summary: rec.summary,
    };
    for (const hook of settings.webhooks) {
      if (rec.notified[status].includes(hook.url)) continue;
      if (status === "resolved" && !rec.notified.firing.includes(hook.url)) continue;
      const payload = renderAlert(hook.format, {
        status,
        incident,
        node: ctx.settings.node,
        cluster: ctx.settings.cluster,
        firstSeen: rec.firstSeen,
        resolvedAt: rec.resolvedAt,
        sentAt: ctx.now().toISOString(),
      });
      const r = await deliverWebhook(hook.url, payload, {
        fetch: options.fetch,
        sleep: options.sleep,
        retries: settings.retries,
        retryBaseMs: settings.retryBaseMs,
        timeoutMs: settings.timeoutMs,
      });
      if (r.ok) {
        rec.notified[status].push(hook.url);
        sent++;
        ctx.logger.info(
          { event: "alert.sent", id, status, attempts: r.attempts },
          `alert ${status}: ${rec.title}`,
        );
      } else {
        rec.lastError = r.error;
        failed++;
        ctx.logger.warn(
          { event: "alert.failed", id, status, attempts: r.attempts, error: r.error },
          "alert delivery failed; retried next tick",
        );
      }
    }
    return { sent, failed };
  }

  return {
    state: () => readAlertsState(ctx.layout.state),
    evaluate: () =>
      serial(async () => {
        const facts = await (options.gather ?? gatherOpsFacts)(ctx);
        await watchApplies(facts.now);
        trackBehind(facts);
        const active = evaluateRules(facts, settings, proc);
        const state = await readAlertsState(ctx.layout.state);
        const now = facts.now;
        const activeIds = new Set(active.map((i) => i.id));
        for (const i of active) {
          const rec = state.incidents[i.id];
          if (rec && rec.resolvedAt === null) {
            rec.summary = i.summary;
            continue;
          }
          state.incidents[i.id] = {
            kind: i.kind,
            severity: i.severity,
            title: i.title,
            summary: i.summary,
            firstSeen: now,
            resolvedAt: null,
            notified: { firing: [], resolved: [] },
          };
        }
        for (const [id, rec] of Object.entries(state.incidents)) {
          if (rec.resolvedAt === null && !activeIds.has(id)) rec.resolvedAt = now;
        }
        let sent = 0;
        let failed = 0;
        for (const [id, rec] of Object.entries(state.incidents)) {
          // Cleared before anyone heard of it: nothing to say either way.
          if (rec.resolvedAt !== null && rec.notified.firing.length === 0) continue;
          const r = await send(id, rec, rec.resolvedAt === null ? "firing" : "resolved");
          sent += r.sent;
          failed += r.failed;
        }
        for (const [id, rec] of Object.entries(state.incidents)) {
          if (rec.resolvedAt !== null && Date.parse(now) - Date.parse(rec.resolvedAt) > KEEP_RESOLVED_MS)
            delete state.incidents[id];
        }
        await writeState(file, state);
        return { active: [...activeIds], sent, failed };
      }),
  };
}
