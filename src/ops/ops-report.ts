import fs, { promises as fsp } from "node:fs";
import path from "node:path";
import type { HomeContext } from "../home/context.ts";
import { measureRepoSize } from "../repo/repo-size.ts";
import { formatSyncStatus } from "../sync/sync-status.ts";
import { readAlertsState } from "./alert-evaluator.ts";
import { gatherOpsFacts } from "./ops-facts.ts";

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await fsp.stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export interface OpsReport {
  generatedAt: string;
  node: string;
  cluster: string;
  role: string;
  schedules: Array<{
    job: string;
    cron: string;
    lastRun: string | null;
    lastResult: string | null;
    lastDurationMs: number | null;
    lastError: string | null;
    lastSuccess: string | null;
    runs: { ok: number; error: number; skipped: number };
    successRate: number | null;
    missed: number;
    lastMissed: string | null;
  }>;
  repository: {
    bytes: number;
    packBytes: number;
    restorePoints: number;
    bundleBytes: number | null;
    latest: string | null;
  };
  remotes: Array<{
    name: string;
    url: string;
    lastPush: string | null;
    ok: boolean | null;
    error: string | null;
    lastSuccess: string | null;
    lagCommits: number;
  }>;
  drills: {
    lastSuccess: { time: string; ref: string } | null;
    lastFailure: { time: string; ref: string; error: string } | null;
    pointsDrilled: number;
    failingPoints: string[];
    runs: number;
  };
  nodes: { mode: "standalone" | "master" | "slave"; text: string; detail: unknown };
  certificate: { subject: string; notAfter: string; expiresInDays: number; warning: boolean } | null;
  alerts: Array<{ id: string; title: string; since: string }>;
}

/** `status --report`: schedule adherence, success rates, sizes, remotes, drills, nodes, certificate. */
export async function buildOpsReport(ctx: HomeContext): Promise<OpsReport> {
  const facts = await gatherOpsFacts(ctx);
  const alerts = await readAlertsState(ctx.layout.state);
  const drilled = Object.entries(facts.drills.points);
  return {
    generatedAt: facts.now,
    node: ctx.settings.node,
    cluster: ctx.settings.cluster,
    role: ctx.settings.role,
    schedules: Object.entries(ctx.settings.schedules)
      .filter(([job]) => job !== "drillSample")
      .map(([job, cron]) => {
        const js = facts.schedules.jobs[job];
        const done = js ? js.runs.ok + js.runs.error : 0;
        return {
          job,
          cron: typeof cron === "string" ? cron : "off",
          lastRun: js?.lastRun?.startedAt ?? null,
          lastResult: js?.lastRun?.result ?? null,
          lastDurationMs: js?.lastRun?.durationMs ?? null,
          lastError: js?.lastRun?.error ?? null,
          lastSuccess: js?.lastSuccess ?? null,
          runs: js?.runs ?? { ok: 0, error: 0, skipped: 0 },
          successRate: js && done > 0 ? js.runs.ok / done : null,
          missed: js?.missed ?? 0,
          lastMissed: js?.lastMissed?.expectedAt ?? null,
        };
      }),
    repository: {
      // Sampled for loose objects (repo-size.ts): a report on a long history does not stat each one.
      bytes: (await measureRepoSize(fs, ctx.layout.gitdir)).bytes,
      packBytes: await folderBytes(path.join(ctx.layout.gitdir, "objects", "pack")),
      restorePoints: facts.restorePoints,
      bundleBytes: facts.bundleBytes,
      latest: facts.latestRestorePoint
        ? `${facts.latestRestorePoint.tag} at ${facts.latestRestorePoint.time}`
        : null,
    },
    remotes: facts.remotes.map((r) => ({
      name: r.name,
      url: r.url,
      lastPush: r.lastPush?.time ?? null,
      ok: r.lastPush?.ok ?? null,
      error: r.lastPush?.error ?? null,
      lastSuccess: r.lastSuccess,
      lagCommits: r.lagCommits,
    })),
    drills: {
      lastSuccess: facts.drills.lastSuccess,
      lastFailure: facts.drills.lastFailure,
      pointsDrilled: drilled.length,
      failingPoints: drilled.filter(([, d]) => !d.ok).map(([ref]) => ref),
      runs: facts.drills.runs.length,
    },
    nodes: {
      mode: facts.sync === null ? "standalone" : facts.sync.role,
      text: formatSyncStatus(facts.sync),
      detail: facts.sync,
    },
    certificate: facts.certificate
      ? {
          subject: facts.certificate.subject,
          notAfter: facts.certificate.notAfter,
          expiresInDays: facts.certificate.expiresInDays,
          warning: facts.certificate.expiresInDays < ctx.settings.alerts.certificateDays,
        }
      : null,
    alerts: Object.entries(alerts.incidents)
      .filter(([, r]) => r.resolvedAt === null)
      .map(([id, r]) => ({ id, title: r.title, since: r.firstSeen })),
  };
}

const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
const cell = (v: unknown) =>
  String(v ?? "—")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");

export function formatOpsReport(r: OpsReport): string {
  const out = [
    `# confvault status report — ${r.node}`,
    "",
    `Generated ${r.generatedAt}; node ${r.node} (${r.role}), cluster ${r.cluster}.`,
    "",
    "## Schedules",
    "",
    "| job | schedule (UTC) | last run | result | duration | success rate | missed | last error |",
    "|---|---|---|---|---|---|---|---|",
    ...r.schedules.map(
      (s) =>
        `| ${s.job} | ${cell(s.cron)} | ${cell(s.lastRun)} | ${cell(s.lastResult)} | ${s.lastDurationMs === null ? "—" : `${s.lastDurationMs} ms`} | ${s.successRate === null ? "—" : `${(s.successRate * 100).toFixed(1)} % of ${s.runs.ok + s.runs.error}`}${s.runs.skipped ? ` (${s.runs.skipped} skipped)` : ""} | ${s.missed}${s.lastMissed ? ` (last due ${s.lastMissed})` : ""} | ${cell(s.lastError)} |`,
    ),
    "",
    "## Repository",
    "",
    `- restore points: ${r.repository.restorePoints}${r.repository.latest ? `, latest ${r.repository.latest}` : ""}`,
    `- repository size: ${mib(r.repository.bytes)} (packs ${mib(r.repository.packBytes)})`,
    `- sealed bundle at the tip: ${r.repository.bundleBytes === null ? "—" : `${r.repository.bundleBytes} bytes`}`,
    "",
    "## Remotes",
    "",
    ...(r.remotes.length === 0
      ? ["No off-site remotes: add one with `confvault remote add`."]
      : [
          "| remote | url | last push | result | last success | not off-site |",
          "|---|---|---|---|---|---|",
          ...r.remotes.map(
            (x) =>
              `| ${cell(x.name)} | ${cell(x.url)} | ${cell(x.lastPush)} | ${x.ok === null ? "—" : x.ok ? "ok" : `error: ${cell(x.error)}`} | ${cell(x.lastSuccess)} | ${x.lagCommits} |`,
          ),
        ]),
    "",
    "## Restore drills",
    "",
    `- last good drill: ${r.drills.lastSuccess ? `${r.drills.lastSuccess.ref} at ${r.drills.lastSuccess.time}` : "never"}`,
    `- last failed drill: ${r.drills.lastFailure ? `${r.drills.lastFailure.ref} at ${r.drills.lastFailure.time}: ${r.drills.lastFailure.error}` : "none"}`,
    `- restore points drilled: ${r.drills.pointsDrilled}; failing now: ${r.drills.failingPoints.length ? r.drills.failingPoints.join(", ") : "none"}`,
    "",
    "## Nodes",
    "",
    r.nodes.mode === "standalone" ? "standalone (no cluster sync)" : r.nodes.text,
    "",
    "## Certificate",
    "",
    r.certificate
      ? `${r.certificate.subject}, expires ${r.certificate.notAfter} (${r.certificate.expiresInDays} days)${r.certificate.warning ? " — **renew soon**" : ""}`
      : "none recorded",
    "",
    "## Open alerts",
    "",
    ...(r.alerts.length ? r.alerts.map((a) => `- ${a.title} (since ${a.since}) \`${a.id}\``) : ["none"]),
  ];
  return out.join("\n");
}
