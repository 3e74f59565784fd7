import type { HomeContext } from "../home/context.ts";
import type { AppMetrics } from "../server/metrics.ts";
import type { FetchLike } from "./alert-deliver.ts";
import { type AlertEvaluator, createAlertEvaluator } from "./alert-evaluator.ts";
import { registerOpsMetrics } from "./ops-metrics.ts";
import { backupJobs } from "./schedule-jobs.ts";
import { createScheduler, type Scheduler } from "./scheduler.ts";
import { opsPaths } from "./state-file.ts";

export interface RunningOps {
  scheduler: Scheduler;
  alerts: AlertEvaluator;
  start(): Promise<void>;
  /** Stops the timers and waits for jobs in progress (they release the home lock themselves). */
  stop(): Promise<void>;
}

/** Backup operations inside `serve`: scheduled jobs, alert evaluation and their metrics. */
export function createOps(options: {
  ctx: HomeContext;
  metrics: AppMetrics;
  env: Record<string, string | undefined>;
  fetch?: FetchLike;
  /** false: no node-cron timers; drive `scheduler.tick()` yourself. */
  timers?: boolean;
}): RunningOps {
  const { ctx } = options;
  const opsMetrics = registerOpsMetrics(options.metrics.registry, ctx);
  const alerts = createAlertEvaluator({ ctx, fetch: options.fetch, applies: options.metrics.applies });
  const scheduler = createScheduler({
    jobs: backupJobs(ctx, { env: options.env, alerts: () => alerts.evaluate() }),
    statePath: opsPaths(ctx.layout.state).schedules,
    now: () => ctx.now(),
    logger: ctx.logger,
    timers: options.timers,
    onRun: (job, result) => opsMetrics.scheduleRuns.inc({ job, result }),
    onMissed: (job) => opsMetrics.scheduleMissed.inc({ job }),
  });
  return {
    scheduler,
    alerts,
    start: () => scheduler.start(),
    stop: () => scheduler.stop(),
  };
}
