import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The service's Prometheus metrics, all on one registry owned by the caller (never the global one). */
export interface AppMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
  applies: Counter<"result">;
  applyDuration: Histogram;
  restores: Counter<"result">;
  lastRestorePoint: Gauge;
  /** Cluster sync (master): master sequence minus the sequence each slave applied. */
  nodeLag: Gauge<"node">;
  syncPushes: Counter<"result">;
  syncDuration: Histogram;
}

export interface MetricsOptions {
  /** Unix time of the newest restore point in the repository, read on each scrape (src/ops/). */
  latestRestorePoint?: () => Promise<number | null>;
}

export function createMetrics(options: MetricsOptions = {}): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client adds gauges named `…_total`, a suffix Prometheus reserves for counters
  // (`promtool check metrics` refuses them); their per-type siblings without it stay.
  for (const name of ["nodejs_active_handles", "nodejs_active_requests", "nodejs_active_resources"]) {
    registry.removeSingleMetric(`${name}_total`);
  }
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: "confvault_http_requests_total",
      help: "HTTP requests answered, by method, matched route and status",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: "confvault_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method and matched route",
      labelNames: ["method", "route"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    applies: new Counter({
      name: "confvault_applies_total",
      help: "Applies through the API, by result (changed, unchanged, dry_run, rolled_back, error)",
      labelNames: ["result"] as const,
      registers,
    }),
    applyDuration: new Histogram({
      name: "confvault_apply_duration_seconds",
      help: "Time an apply took, validation to health check",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    restores: new Counter({
      name: "confvault_restores_total",
      help: "Restores through the API, by result (restored, dry_run, error)",
      labelNames: ["result"] as const,
      registers,
    }),
    lastRestorePoint: new Gauge({
      name: "confvault_last_restore_point_timestamp_seconds",
      help: "Unix time of the newest restore point (read from the repository on each scrape; set on apply)",
      registers,
      async collect() {
        const latest = await options.latestRestorePoint?.().catch(() => null);
        if (latest !== null && latest !== undefined) this.set(latest);
      },
    }),
    nodeLag: new Gauge({
      name: "confvault_node_lag_commits",
      help: "Restore points a slave is behind the master (master sequence minus applied sequence)",
      labelNames: ["node"] as const,
      registers,
    }),
    syncPushes: new Counter({
      name: "confvault_sync_pushes_total",
      help: "Sync webhooks sent to slaves, by result (delivered, retried, failed, refused)",
      labelNames: ["result"] as const,
      registers,
    }),
    syncDuration: new Histogram({
      name: "confvault_sync_duration_seconds",
      help: "Time from a restore point appearing on main until every slave acknowledged it",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
  };
}
