import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Logger } from "../../src/home/context.ts";
import { parseCron } from "../../src/ops/cron-times.ts";
import { createScheduler, type ScheduledJob } from "../../src/ops/scheduler.ts";
import { tempDir } from "../helpers/temp-home.ts";

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const log = (level: string) => (obj: object, msg?: string) => lines.push({ level, ...obj, msg });
  const logger: Logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
  return { logger, lines };
}

function fakeClock(iso: string) {
  let t = Date.parse(iso);
  return { now: () => new Date(t), set: (s: string) => (t = Date.parse(s)), at: (s: string) => new Date(s) };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("previous fire time is found in UTC, across days and with a seconds field", () => {
  const c = parseCron("30 3 * * *");
  assert.is(
    c.previous(new Date("2026-03-02T03:29:59Z"), new Date("2026-01-01T00:00:00Z"))?.toISOString(),
    "2026-03-01T03:30:00.000Z",
  );
  assert.is(c.previous(new Date("2026-03-02T03:29:59Z"), new Date("2026-03-01T03:30:01Z")), null);
  const s = parseCron("*/10 * * * * *");
  assert.is(
    s.previous(new Date("2026-03-01T00:00:29Z"), new Date(0))?.toISOString(),
    "2026-03-01T00:00:20.000Z",
  );
  assert.throws(() => parseCron("61 * * * *"), /invalid cron expression/);
});

test("a job still running is not started twice: the second fire is skipped, logged and counted", async () => {
  const dir = await tempDir();
  const clock = fakeClock("2026-03-01T00:00:00Z");
  const { logger, lines } = recordingLogger();
  const gate = deferred();
  let starts = 0;
  const job: ScheduledJob = {
    name: "capture",
    cron: "*/5 * * * *",
    run: async () => {
      starts++;
      await gate.promise;
      return "captured";
    },
  };
  const counted: string[] = [];
  const s = createScheduler({
    jobs: [job],
    statePath: path.join(dir, "schedules.json"),
    now: clock.now,
    logger,
    timers: false,
    onRun: (j, r) => counted.push(`${j}:${r}`),
  });
  await s.start();
  clock.set("2026-03-01T00:05:00Z");
  const first = s.fire("capture", clock.now());
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(s.isRunning("capture"));
  clock.set("2026-03-01T00:10:00Z");
  assert.is(await s.fire("capture", clock.now()), "skipped");
  gate.resolve();
  assert.is(await first, "ok");
  assert.is(starts, 1);
  const st = (await s.state()).jobs.capture!;
  assert.equal(st.runs, { ok: 1, error: 0, skipped: 1 });
  assert.is(st.missed, 0, "a skipped overlap is not a missed run");
  assert.ok(lines.some((l) => l.event === "schedule.skipped" && l.job === "capture"));
  assert.equal(counted, ["capture:skipped", "capture:ok"]);
  await s.stop();
  await fsp.rm(dir, { recursive: true, force: true });
});

test("a run missed while the process was down is detected at start (and caught up); one missed on a tick too", async () => {
  const dir = await tempDir();
  const statePath = path.join(dir, "schedules.json");
  const clock = fakeClock("2026-03-01T00:00:00Z");
  const { logger, lines } = recordingLogger();
  let runs = 0;
  const missed: string[] = [];
  const make = () =>
    createScheduler({
      jobs: [{ name: "push", cron: "*/15 * * * *", catchUp: true, run: async () => void runs++ }],
      statePath,
      now: clock.now,
      logger,
      timers: false,
      onMissed: (job, at) => missed.push(`${job}@${at.toISOString()}`),
    });
  const a = make();
  await a.start();
  clock.set("2026-03-01T00:15:00Z");
  await a.tick();
  await a.stop();
  // Down from 00:16 to 00:52: the 00:30 and 00:45 runs never happened.
  clock.set("2026-03-01T00:52:00Z");
  const b = make();
  await b.start();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(missed, ["push@2026-03-01T00:45:00.000Z"]);
  assert.is(runs, 2, "caught up once at start");
  clock.set("2026-03-01T01:00:00Z");
  await b.tick();
  assert.is(missed.length, 1, "nothing new missed");
  // The 01:15 fire is lost (process stalled); the 01:30 fire notices it.
  clock.set("2026-03-01T01:30:00Z");
  await b.tick();
  assert.equal(missed, ["push@2026-03-01T00:45:00.000Z", "push@2026-03-01T01:15:00.000Z"]);
  const st = (await b.state()).jobs.push!;
  assert.is(st.missed, 2);
  assert.is(st.lastMissed?.expectedAt, "2026-03-01T01:15:00.000Z");
  assert.ok(lines.filter((l) => l.event === "schedule.missed").length === 2);
  await b.stop();
  await fsp.rm(dir, { recursive: true, force: true });
});

test("each run is logged as one JSON line with its duration and result, failures included", async () => {
  const dir = await tempDir();
  const clock = fakeClock("2026-03-01T03:29:00Z");
  const { logger, lines } = recordingLogger();
  const s = createScheduler({
    jobs: [
      { name: "drill", cron: "30 3 * * *", run: async () => new Promise((r) => setTimeout(r, 15)) },
      {
        name: "prune",
        cron: "30 3 * * *",
        run: async () => {
          throw new Error("disk full");
        },
      },
    ],
    statePath: path.join(dir, "schedules.json"),
    now: clock.now,
    logger,
    timers: false,
  });
  await s.start();
  clock.set("2026-03-01T03:30:00Z");
  await s.tick();
  const runs = lines.filter((l) => l.event === "schedule.run");
  assert.is(runs.length, 2);
  const drill = runs.find((l) => l.job === "drill")!;
  assert.is(drill.result, "ok");
  assert.ok((drill.durationMs as number) >= 10, JSON.stringify(drill));
  const prune = runs.find((l) => l.job === "prune")!;
  assert.is(prune.result, "error");
  assert.is(prune.error, "disk full");
  assert.is(prune.level, "error");
  JSON.stringify(runs);
  const state = await s.state();
  assert.is(state.jobs.prune?.lastRun?.result, "error");
  assert.is(state.jobs.drill?.lastSuccess, "2026-03-01T03:30:00.000Z");
  await s.stop();
  await fsp.rm(dir, { recursive: true, force: true });
});

test.run();
