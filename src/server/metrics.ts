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
  /** Cluster sync (master): the joined nodes' contact and health, read on each scrape (see NodeHealthSource). */
  nodeHealth: NodeHealthSource;
  syncPushes: Counter<"result">;
  syncDuration: Histogram;
}

/** One joined slave as the master sees it, for the per-node gauges. */
export interface NodeHealth {
  node: string;
  /** Unix time of the last ack, poll, delivered webhook or join (seconds). */
  lastContact: number;
  healthy: boolean;
}

/**
 * Where the per-node gauges read from: the master's sync sets `read` when it starts (the
 * registry of joined nodes); with none (standalone, slave) the gauges have no series.
 */
export interface NodeHealthSource {
  read?: () => Promise<NodeHealth[]>;
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
  const nodeHealth: NodeHealthSource = {};
  // Both per-node gauges come from one read of the registry per scrape (the first refreshes).
  let nodes: Promise<NodeHealth[]> = Promise.resolve([]);
  const readNodes = () => {
    nodes = nodeHealth.read ? nodeHealth.read().catch(() => []) : Promise.resolve([]);
    return nodes;
  };
  new Gauge({
    name: "confvault_node_last_contact_timestamp_seconds",
    help: "Master: Unix time a joined slave was last heard from (ack, poll, delivered webhook; its join before any)",
    labelNames: ["node"] as const,
    registers,
    async collect() {
      this.reset();
      for (const n of await readNodes()) this.set({ node: n.node }, n.lastContact);
    },
  });
  new Gauge({
    name: "confvault_node_healthy",
    help: "Master: 1 when a slave was heard from within 3 poll intervals, is reachable and its last apply succeeded; else 0",
    labelNames: ["node"] as const,
    registers,
    async collect() {
      this.reset();
      for (const n of await nodes) this.set({ node: n.node }, n.healthy ? 1 : 0);
    },
  });
  return {
    registry,
    nodeHealth,
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
      // Outcomes of this process's HTTP applies, refused ones included (they leave no history);
      // every apply ever made, CLI too, is confvault_applies_total (src/ops/ops-metrics.ts).
      name: "confvault_api_applies_total",
      help: "Applies through this process's HTTP API, by result (changed, unchanged, dry_run, rolled_back, error)",
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
      name: "confvault_api_restores_total",
      help: "Restores through this process's HTTP API, by result (restored, unchanged, dry_run, error)",
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
