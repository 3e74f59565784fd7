import { Counter, Gauge, type Registry } from "prom-client";
import type { HomeContext } from "../home/context.ts";
import { type ChangeCounts, createChangeCounter, gatherOpsFacts, type OpsFacts } from "./ops-facts.ts";

export interface OpsMetrics {
  scheduleRuns: Counter<"job" | "result">;
  scheduleMissed: Counter<"job">;
}

/**
 * Backup-operation metrics on the app's registry. Gauges are refreshed from the home's
 * repository and state files on each scrape (one read shared by all of them), so runs made by
 * the CLI or another process show up too.
 */
export function registerOpsMetrics(registry: Registry, ctx: HomeContext): OpsMetrics {
  const registers = [registry];
  // One read per scrape: the first gauge (registered first, collected first) refreshes, the rest reuse it.
  // A home that cannot be read leaves the gauges empty rather than failing the whole scrape.
  let current: Promise<OpsFacts | null> | undefined;
  const refresh = () => {
    current = gatherOpsFacts(ctx).catch((err) => {
      ctx.logger.warn({ err: (err as Error).message }, "metrics: could not read backup state");
      return null;
    });
    return current;
  };
  const facts = () => current ?? refresh();
  const seconds = (iso: string | null | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);

  new Gauge({
    name: "confvault_remote_last_push_success_timestamp_seconds",
    help: "Unix time of the last successful push to each off-site remote (0: never)",
    labelNames: ["remote"] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of (await refresh())?.remotes ?? [])
        this.set({ remote: r.name }, seconds(r.lastSuccess) ?? 0);
    },
  });
  new Gauge({
    name: "confvault_remote_lag_commits",
    help: "Restore points made since the last successful push to each remote",
    labelNames: ["remote"] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of (await facts())?.remotes ?? []) this.set({ remote: r.name }, r.lagCommits);
    },
  });
  new Gauge({
    name: "confvault_drill_last_success_timestamp_seconds",
    help: "Unix time of the last restore drill that succeeded (0: never)",
    registers,
    async collect() {
      this.set(seconds((await facts())?.drills.lastSuccess?.time) ?? 0);
    },
  });
  // Labelled by fingerprint so a home without a certificate has no series at all (not 0, which
  // an "expires within 30 days" rule would take for an expired certificate).
  new Gauge({
    name: "confvault_certificate_expiry_timestamp_seconds",
    help: "Unix time the root certificate of the current restore point expires, by SHA-256 fingerprint",
    labelNames: ["fingerprint"] as const,
    registers,
    async collect() {
      this.reset();
      const cert = (await facts())?.certificate;
      if (cert) this.set({ fingerprint: cert.fingerprint256 ?? "" }, Date.parse(cert.notAfter) / 1000);
    },
  });
  new Gauge({
    name: "confvault_restore_points",
    help: "Restore points in the repository by the source that made them (apply, capture, restore, sync, merge), CLI and API alike",
    labelNames: ["source"] as const,
    registers,
    async collect() {
      this.reset();
      for (const [source, n] of Object.entries((await facts())?.restorePointsBySource ?? {}))
        this.set({ source }, n);
    },
  });
  new Gauge({
    name: "confvault_remote_last_push_ok",
    help: "1 when the last push to each off-site remote succeeded, 0 when it failed (no series: never pushed)",
    labelNames: ["remote"] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of (await facts())?.remotes ?? [])
        if (r.lastPush) this.set({ remote: r.name }, r.lastPush.ok ? 1 : 0);
    },
  });
  new Gauge({
    name: "confvault_remote_failing_since_timestamp_seconds",
    help: "Unix time of the first failed push to each remote since its last success (no series while it works)",
    labelNames: ["remote"] as const,
    registers,
    async collect() {
      this.reset();
      for (const r of (await facts())?.remotes ?? []) {
        const since = seconds(r.failingSince);
        if (since !== undefined) this.set({ remote: r.name }, since);
      }
    },
  });
  // Counted from main's history, not from this process's requests: CLI applies, merges, syncs
  // and restores made while serve was down count too, and a restart does not reset them. The
  // source label is the same Confvault-Source trailer confvault_restore_points counts by.
  const changes = createChangeCounter();
  let counted: Promise<ChangeCounts | null> | undefined;
  const countChanges = () => {
    counted = changes(ctx).catch((err) => {
      ctx.logger.warn({ err: (err as Error).message }, "metrics: could not read the history of main");
      return null;
    });
    return counted;
  };
  new Counter({
    name: "confvault_applies_total",
    help: "Changes on main by the source that made them (apply, capture, merge, sync, rotate), CLI and API alike, counted from the repository's history",
    labelNames: ["source"] as const,
    registers,
    async collect() {
      const c = await countChanges();
      if (!c) return;
      this.reset();
      for (const [source, n] of Object.entries(c.applies)) this.inc({ source }, n);
    },
  });
  new Counter({
    name: "confvault_restores_total",
    help: "Restores and rollbacks on main (automatic rollbacks included), CLI and API alike, counted from the repository's history",
    registers,
    async collect() {
      const c = await (counted ?? countChanges());
      if (!c) return;
      this.reset();
      this.inc(c.restores);
    },
  });
  return {
    scheduleRuns: new Counter({
      name: "confvault_schedule_runs_total",
      help: "Scheduled backup job runs, by job and result (ok, error, skipped)",
      labelNames: ["job", "result"] as const,
      registers,
    }),
    scheduleMissed: new Counter({
      name: "confvault_schedule_missed_total",
      help: "Scheduled runs that did not happen (process down or stalled), by job",
      labelNames: ["job"] as const,
      registers,
    }),
  };
}

/** Unix time of the newest restore point, for createMetrics({ latestRestorePoint }). */
export async function latestRestorePointSeconds(ctx: HomeContext): Promise<number | null> {
  const [latest] = await ctx.engine.listTags("rp/");
  return latest ? latest.tagger.timestamp : null;
}
