import { capture } from "../api/capture.ts";
import { maintenance } from "../api/maintenance.ts";
import { prune } from "../api/prune.ts";
import { verify } from "../api/verify.ts";
import { pushToRemotes } from "../backup/push-remotes.ts";
import { readRemotes } from "../backup/remote-store.ts";
import { s3PushHandler } from "../backup/s3-push.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { ScheduledJob } from "./scheduler.ts";
import { sendReport } from "./send-report.ts";

export const SCHEDULER_ACTOR = "confvault-scheduler";

/** The backup jobs of a home from its `schedules` settings; jobs set to null are left out. */
export function backupJobs(
  ctx: HomeContext,
  options: { env: Record<string, string | undefined>; alerts?: () => Promise<unknown> },
): ScheduledJob[] {
  const s = ctx.settings.schedules;
  const jobs: ScheduledJob[] = [];
  // A slave takes its config from its master: out-of-band edits there are drift, not restore points.
  if (s.capture && ctx.settings.role !== "slave") {
    jobs.push({
      name: "capture",
      cron: s.capture,
      catchUp: true,
      run: async () => {
        const r = await capture({
          ctx,
          actor: SCHEDULER_ACTOR,
          reason: "scheduled capture of changes made on the appliance",
        });
        return r.changed ? `captured ${r.tag}` : "no change";
      },
    });
  }
  if (s.push) {
    jobs.push({
      name: "push",
      cron: s.push,
      catchUp: true,
      run: async () => {
        if ((await readRemotes(ctx.layout.remotes)).length === 0) return "no remotes";
        const results = await pushToRemotes({
          layout: ctx.layout,
          engine: ctx.engine,
          env: options.env,
          now: ctx.now,
          pushS3: s3PushHandler(ctx, options.env),
          pushTrash: ctx.settings.retention.pushTrash,
        });
        const failed = results.filter((r) => !r.ok);
        if (failed.length > 0) {
          throw new ConfvaultError(
            "REMOTE_FAILED",
            `push failed for ${failed.map((r) => `${r.remote}: ${r.error?.message}`).join("; ")}`,
            "see `confvault remote list`",
          );
        }
        return `pushed to ${results.length} remote(s)`;
      },
    });
  }
  if (s.drill) {
    jobs.push({
      name: "drill",
      cron: s.drill,
      run: async () => {
        const r = await verify({ ctx, drill: true, ...(s.drillSample > 0 ? { sample: s.drillSample } : {}) });
        const bad = r.points.filter((p) => !p.ok);
        if (!r.ok) {
          throw new ConfvaultError(
            "VERIFY_FAILED",
            `drill failed: ${bad.map((p) => `${p.ref}: ${p.error?.message}`).join("; ") || r.fsck}`,
            "run `confvault verify --drill --all`",
          );
        }
        return `drilled ${r.points.length} restore point(s)`;
      },
    });
  }
  if (s.maintenance) {
    jobs.push({
      name: "maintenance",
      cron: s.maintenance,
      run: async () => {
        const r = await maintenance({ ctx });
        return `packed: ${r.sizeBefore} → ${r.sizeAfter} bytes`;
      },
    });
  }
  if (s.prune) {
    jobs.push({
      name: "prune",
      cron: s.prune,
      run: async () => {
        const r = await prune({ ctx, policy: s.retention, actor: SCHEDULER_ACTOR });
        return `removed ${r.removed.length}, kept ${r.kept.length}`;
      },
    });
  }
  const reports = ctx.settings.reports;
  for (const period of ["weekly", "monthly"] as const) {
    const cron = reports[period];
    if (!cron || reports.to.length === 0) continue;
    jobs.push({
      name: `report-${period}`,
      cron,
      run: async () => {
        const r = await sendReport(ctx, { period });
        return `sent to ${r.accepted.join(", ")}`;
      },
    });
  }
  if (s.alerts && options.alerts) {
    const evaluate = options.alerts;
    jobs.push({
      name: "alerts",
      cron: s.alerts,
      trackMissed: false,
      run: async () => void (await evaluate()),
    });
  }
  return jobs;
}
