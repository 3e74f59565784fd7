import cron, { type ScheduledTask } from "node-cron";
import type { Logger } from "../home/context.ts";
import { type CronTimes, parseCron } from "./cron-times.ts";
import { createSerial, readState, writeState } from "./state-file.ts";

export type RunResult = "ok" | "error" | "skipped";

export interface ScheduledJob {
  name: string;
  /** node-cron expression, UTC. */
  cron: string;
  run(): Promise<unknown>;
  /** Run once at start when a fire time was missed while the process was down. */
  catchUp?: boolean;
  /** Report missed fire times (default true). */
  trackMissed?: boolean;
}

export interface JobRun {
  scheduledFor: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result: "ok" | "error";
  error?: string;
  /** A short summary the job returned (e.g. "captured rp/…"). */
  detail?: string;
}

export interface JobState {
  cron: string;
  /** When this job was first scheduled on this home: the start of its missed-run window. */
  since: string;
  /** The fire time last handled (run, skipped or caught up). */
  lastScheduledFor?: string;
  lastRun?: JobRun;
  lastSuccess?: string;
  runs: { ok: number; error: number; skipped: number };
  missed: number;
  lastMissed?: { expectedAt: string; detectedAt: string };
}

export interface SchedulesState {
  version: 1;
  jobs: Record<string, JobState>;
}

export interface SchedulerOptions {
  jobs: ScheduledJob[];
  /** `<home>/state/schedules.json`. */
  statePath: string;
  now: () => Date;
  logger: Logger;
  onRun?: (job: string, result: RunResult, durationMs: number) => void;
  onMissed?: (job: string, expectedAt: Date) => void;
  /** Without timers the caller drives the scheduler through `tick()` (tests, a fake clock). */
  timers?: boolean;
}

export interface Scheduler {
  /** Checks for missed runs (catching up where asked), then starts node-cron timers. */
  start(): Promise<void>;
  /** Fires every job whose expression matches `at` (default: now). */
  tick(at?: Date): Promise<void>;
  /** Fires one job now as if scheduled at `at`; resolves when it ran or was skipped. */
  fire(job: string, at?: Date): Promise<RunResult>;
  isRunning(job: string): boolean;
  state(): Promise<SchedulesState>;
  /** Stops the timers and waits for runs in progress. */
  stop(): Promise<void>;
}

const MAX_MISSED_WINDOW_MS = 400 * 86_400_000;

/** Reads `<home>/state/schedules.json`. */
export function readSchedulesState(file: string): Promise<SchedulesState> {
  return readState<SchedulesState>(file, { version: 1, jobs: {} });
}

/**
 * Runs backup jobs on node-cron expressions (UTC). A job still running is not started again (the
 * fire is skipped, logged and counted); fire times that passed without a run (the process was
 * down or stalled: node-cron never runs those) are reported as missed at start and on each fire.
 * Every run is logged as one JSON line with its duration and recorded in the state file.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { logger, now } = options;
  const jobs = new Map<string, { job: ScheduledJob; times: CronTimes }>();
  for (const job of options.jobs) jobs.set(job.name, { job, times: parseCron(job.cron) });
  const running = new Map<string, Promise<unknown>>();
  const serial = createSerial();
  const tasks: ScheduledTask[] = [];
  let stopped = false;

  const update = (fn: (s: SchedulesState) => void) =>
    serial(async () => {
      const s = await readSchedulesState(options.statePath);
      fn(s);
      await writeState(options.statePath, s);
      return s;
    });
  const jobState = (s: SchedulesState, name: string): JobState => {
    const entry = jobs.get(name)!;
    s.jobs[name] ??= {
      cron: entry.job.cron,
      since: now().toISOString(),
      runs: { ok: 0, error: 0, skipped: 0 },
      missed: 0,
    };
    s.jobs[name].cron = entry.job.cron;
    return s.jobs[name];
  };

  /** The latest fire time before `before` that nothing handled, or null. */
  async function checkMissed(name: string, before: Date): Promise<Date | null> {
    const { job, times } = jobs.get(name)!;
    if (job.trackMissed === false) return null;
    let missed: Date | null = null;
    await update((s) => {
      const js = jobState(s, name);
      const handled = Date.parse(js.lastScheduledFor ?? js.since);
      const floor = Math.max(handled + 1000, before.getTime() - MAX_MISSED_WINDOW_MS);
      const expected = times.previous(before, new Date(floor));
      if (expected === null) return;
      if (js.lastMissed && Date.parse(js.lastMissed.expectedAt) >= expected.getTime()) return;
      missed = expected;
      js.missed++;
      js.lastMissed = { expectedAt: expected.toISOString(), detectedAt: now().toISOString() };
    });
    if (missed) {
      const expectedAt = (missed as Date).toISOString();
      logger.warn(
        { event: "schedule.missed", job: name, expectedAt },
        `scheduled ${name} run at ${expectedAt} was missed`,
      );
      options.onMissed?.(name, missed);
    }
    return missed;
  }

  async function runJob(name: string, scheduledFor: Date): Promise<RunResult> {
    const { job } = jobs.get(name)!;
    const startedAt = now();
    const t0 = performance.now();
    let result: "ok" | "error" = "ok";
    let error: string | undefined;
    let detail: string | undefined;
    try {
      const value = await job.run();
      if (typeof value === "string") detail = value;
    } catch (err) {
      result = "error";
      error = err instanceof Error ? err.message : String(err);
    }
    const durationMs = Math.round((performance.now() - t0) * 100) / 100;
    const run: JobRun = {
      scheduledFor: scheduledFor.toISOString(),
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
      durationMs,
      result,
      ...(error !== undefined ? { error } : {}),
      ...(detail !== undefined ? { detail } : {}),
    };
    await update((s) => {
      const js = jobState(s, name);
      js.lastRun = run;
      js.runs[result]++;
      if (result === "ok") js.lastSuccess = run.finishedAt;
    });
    const line = { event: "schedule.run", job: name, ...run };
    if (result === "ok") logger.info(line, `${name} finished in ${durationMs} ms`);
    else logger.error(line, `${name} failed after ${durationMs} ms: ${error}`);
    options.onRun?.(name, result, durationMs);
    return result;
  }

  async function fire(name: string, at: Date = now()): Promise<RunResult> {
    if (!jobs.has(name)) throw new Error(`no scheduled job named ${name}`);
    if (stopped) return "skipped";
    // Anything between the last handled fire and this one did not run.
    await checkMissed(name, new Date(at.getTime() - 1000));
    if (running.has(name)) {
      await update((s) => {
        const js = jobState(s, name);
        js.runs.skipped++;
        js.lastScheduledFor = at.toISOString();
      });
      logger.warn(
        { event: "schedule.skipped", job: name, scheduledFor: at.toISOString(), reason: "still running" },
        `${name} is still running: this run is skipped`,
      );
      options.onRun?.(name, "skipped", 0);
      return "skipped";
    }
    // Mark as running before the first await so a concurrent fire sees it.
    let done!: (r: RunResult) => void;
    const promise = new Promise<RunResult>((resolve) => {
      done = resolve;
    });
    running.set(name, promise);
    try {
      await update((s) => {
        jobState(s, name).lastScheduledFor = at.toISOString();
      });
      done(await runJob(name, at));
    } catch (err) {
      logger.error({ event: "schedule.error", job: name, err: (err as Error).message }, "scheduler error");
      done("error");
    } finally {
      running.delete(name);
    }
    return await promise;
  }

  return {
    async start() {
      const t = now();
      for (const [name, { job }] of jobs) {
        const missed = await checkMissed(name, new Date(t.getTime() - 1000));
        if (missed && job.catchUp) void fire(name, t);
      }
      if (options.timers === false) return;
      for (const [name, { job }] of jobs) {
        const task = cron.createTask(job.cron, (c) => fire(name, c.date ?? now()), {
          timezone: "UTC",
          name: `confvault-${name}`,
          suppressMissedWarning: true,
        });
        tasks.push(task);
        await task.start();
      }
    },
    async tick(at = now()) {
      const due = [...jobs].filter(([, { times }]) => times.matches(at)).map(([name]) => name);
      await Promise.all(due.map((name) => fire(name, at)));
    },
    fire,
    isRunning: (name) => running.has(name),
    state: () => readSchedulesState(options.statePath),
    async stop() {
      stopped = true;
      for (const task of tasks) {
        await task.stop();
        await task.destroy();
      }
      await Promise.allSettled([...running.values()]);
    },
  };
}
