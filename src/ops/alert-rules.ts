import type { OpsFacts } from "./ops-facts.ts";
import type { AlertSettings } from "./ops-settings.ts";

export type AlertKind =
  | "apply-failed"
  | "sync-failed"
  | "rollback"
  | "node-behind"
  | "offsite-push"
  | "drill-failed"
  | "capture-stale"
  | "certificate-expiring"
  | "schedule-missed"
  | "report-failed";

/** One condition that holds right now; its `id` names the incident (one alert per id). */
export interface Incident {
  id: string;
  kind: AlertKind;
  severity: "warning" | "critical";
  title: string;
  summary: string;
}

/** Facts only the serve process knows (counted in memory since start-up). */
export interface ProcessFacts {
  /** Failed applies since the last successful one, and when the first of them happened. */
  applyFailures?: { count: number; since: string; lastError?: string };
  /** Per node: since when it has been behind the master. */
  behindSince?: Record<string, string>;
}

const hours = (ms: number) => ms / 3_600_000;

/** The incidents that hold for these facts. Pure: evaluating twice gives the same ids. */
export function evaluateRules(facts: OpsFacts, settings: AlertSettings, proc: ProcessFacts = {}): Incident[] {
  const now = Date.parse(facts.now);
  const out: Incident[] = [];

  if (proc.applyFailures && proc.applyFailures.count > 0) {
    out.push({
      id: `apply-failed:${proc.applyFailures.since}`,
      kind: "apply-failed",
      severity: "critical",
      title: "Apply failed",
      summary: `${proc.applyFailures.count} apply(s) failed since ${proc.applyFailures.since}${proc.applyFailures.lastError ? `: ${proc.applyFailures.lastError}` : ""}`,
    });
  }

  const latest = facts.latestRestorePoint;
  if (latest && /^automatic rollback/.test(latest.subject)) {
    out.push({
      id: `rollback:${latest.tag}`,
      kind: "rollback",
      severity: "critical",
      title: "Automatic rollback",
      summary: `a failed health check rolled the appliance back: ${latest.subject} (${latest.tag})`,
    });
  }

  for (const r of facts.remotes) {
    const failing = r.lastPush !== null && !r.lastPush.ok;
    const staleMs = r.lastSuccess ? now - Date.parse(r.lastSuccess) : Number.POSITIVE_INFINITY;
    const stale = hours(staleMs) > settings.pushStaleHours && r.lagCommits > 0;
    if (!failing && !stale) continue;
    const age = r.lastSuccess ? `last successful push ${r.lastSuccess}` : "never pushed successfully";
    out.push({
      id: `offsite-push:${r.name}`,
      kind: "offsite-push",
      severity: "critical",
      title: `Off-site push to ${r.name} ${failing ? "failing" : "stale"}`,
      summary: `${failing ? `push to ${r.name} failed: ${r.lastPush?.error ?? "unknown error"}; ` : ""}${age}; ${r.lagCommits} restore point(s) not off-site`,
    });
  }

  const lastRun = facts.drills.runs.at(-1);
  if (lastRun && !lastRun.ok) {
    out.push({
      id: `drill-failed:${lastRun.time}`,
      kind: "drill-failed",
      severity: "critical",
      title: "Restore drill failed",
      summary: `${lastRun.failed.length} of ${lastRun.checked} restore point(s) failed the drill at ${lastRun.time}: ${lastRun.failed.slice(0, 5).join(", ")}${facts.drills.lastFailure ? ` (${facts.drills.lastFailure.error})` : ""}`,
    });
  }

  const capture = facts.schedules.jobs.capture;
  if (capture && settings.captureStaleHours > 0) {
    const last = capture.lastSuccess ?? capture.since;
    if (hours(now - Date.parse(last)) > settings.captureStaleHours) {
      out.push({
        id: `capture-stale:${capture.lastSuccess ?? "never"}`,
        kind: "capture-stale",
        severity: "warning",
        title: "No capture",
        summary: `no successful capture for more than ${settings.captureStaleHours} h (last ${capture.lastSuccess ?? "never"})`,
      });
    }
  }

  for (const [job, js] of Object.entries(facts.schedules.jobs)) {
    if (!js.lastMissed) continue;
    const resolved = js.lastSuccess && Date.parse(js.lastSuccess) >= Date.parse(js.lastMissed.detectedAt);
    if (resolved) continue;
    out.push({
      id: `schedule-missed:${job}:${js.lastMissed.expectedAt}`,
      kind: "schedule-missed",
      severity: "warning",
      title: `Scheduled ${job} missed`,
      summary: `the ${job} run due at ${js.lastMissed.expectedAt} did not happen (detected ${js.lastMissed.detectedAt})`,
    });
  }

  for (const [job, js] of Object.entries(facts.schedules.jobs)) {
    if (!job.startsWith("report-") || js.lastRun?.result !== "error") continue;
    out.push({
      id: `report-failed:${job}:${js.lastRun.scheduledFor}`,
      kind: "report-failed",
      severity: "warning",
      title: `The ${job.slice("report-".length)} report was not sent`,
      summary: `${job} at ${js.lastRun.startedAt} failed: ${js.lastRun.error ?? "unknown error"}`,
    });
  }

  const cert = facts.certificate;
  if (cert && cert.expiresInDays < settings.certificateDays) {
    out.push({
      id: `certificate-expiring:${cert.fingerprint256 ?? cert.notAfter}`,
      kind: "certificate-expiring",
      severity: cert.expiresInDays < 7 ? "critical" : "warning",
      title: "Certificate expiring",
      summary: `root certificate ${cert.subject} expires ${cert.notAfter} (${cert.expiresInDays} days)`,
    });
  }

  const sync = facts.sync;
  if (sync?.role === "master") {
    for (const n of sync.nodes) {
      if (n.lastResult && !n.lastResult.ok && !n.lastResult.skipped) {
        out.push({
          id: `sync-failed:${n.name}:${n.lastResult.commit}`,
          kind: "sync-failed",
          severity: "critical",
          title: `Sync to ${n.name} failed`,
          summary: `node ${n.name} could not apply sequence ${n.lastResult.sequence}: ${n.lastResult.error ?? n.lastResult.code ?? "unknown error"}`,
        });
      }
      const since = proc.behindSince?.[n.name];
      if (since && now - Date.parse(since) > settings.nodeBehindMinutes * 60_000) {
        out.push({
          id: `node-behind:${n.name}:${since}`,
          kind: "node-behind",
          severity: "warning",
          title: `Node ${n.name} behind`,
          summary: `node ${n.name} has been ${n.lag ?? "?"} restore point(s) behind the master since ${since}`,
        });
      }
    }
  } else if (sync?.role === "slave" && sync.failed) {
    out.push({
      id: `sync-failed:${sync.node}:${sync.failed.commit}`,
      kind: "sync-failed",
      severity: "critical",
      title: "Sync from master failed",
      summary: `this node could not apply master sequence ${sync.failed.sequence}: ${sync.failed.code} ${sync.failed.error}`,
    });
  }
  if (sync?.role === "slave" && sync.lastRefused) {
    // An answer not signed by the pinned master key (forged, tampered): nothing was applied.
    out.push({
      id: `release-refused:${sync.node}:${sync.lastRefused.commit}`,
      kind: "sync-failed",
      severity: "critical",
      title: "Release from master refused (untrusted)",
      summary: `this node refused ${sync.lastRefused.commit.slice(0, 12) || "the latest head"} (${sync.lastRefused.reason}) at ${sync.lastRefused.at}: ${sync.lastRefused.error}`,
    });
  }
  return out;
}
