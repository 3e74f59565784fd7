import { promises as fsp } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { openHome } from "../../src/home/open-home.ts";
import { createAlertEvaluator } from "../../src/ops/alert-evaluator.ts";
import { renderAlert } from "../../src/ops/alert-render.ts";
import type { OpsFacts } from "../../src/ops/ops-facts.ts";
import { createOps } from "../../src/ops/start-ops.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { homeWithHistory, variant } from "../backup/backup-fixtures.ts";
import { startGitHttpServer } from "../helpers/git-http-server.ts";
import { startReceiver } from "./alert-receiver.ts";

const TOKEN = "offsite-token-0123456789";

async function setAlerts(
  settingsFile: string,
  alerts: Record<string, unknown>,
  schedules: Record<string, unknown> = {},
) {
  const s = JSON.parse(await fsp.readFile(settingsFile, "utf8"));
  s.alerts = alerts;
  s.schedules = schedules;
  await fsp.writeFile(settingsFile, JSON.stringify(s, null, 2));
}

function metricValue(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

test("off-site remote refuses pushes: the metric goes stale, exactly one alert, then one resolved", async () => {
  const git = await startGitHttpServer({ auth: { basicPasswordOnly: TOKEN } });
  const receiver = await startReceiver();
  const { h } = await homeWithHistory(2);
  try {
    const url = await git.createRepo("offsite.git");
    await remoteAdd({ ctx: h.ctx, name: "offsite", url, tokenEnv: "OFFSITE_TOKEN" });
    await setAlerts(
      h.ctx.layout.settings,
      { webhooks: [{ url: receiver.url }], pushStaleHours: 2, retryBaseMs: 5 },
      { capture: null, drill: null, maintenance: null, prune: null },
    );
    const HOUR = 3_600_000;
    // On the hourly grid, as node-cron would fire the push: no fire time is missed in between.
    let t = Math.ceil(Date.now() / HOUR + 0.01) * HOUR;
    const clock = () => new Date(t);
    const ctx = await openHome({ dir: h.dir, env: h.env, now: clock });
    const metrics = createMetrics();
    const ops = createOps({ ctx, metrics, env: { OFFSITE_TOKEN: TOKEN }, timers: false });
    await ops.start();
    const scrape = () => metrics.registry.metrics();

    assert.is(await ops.scheduler.fire("push"), "ok");
    await ops.alerts.evaluate();
    const pushedAt = Math.floor(t / 1000);
    assert.is(receiver.received.length, 0);
    const first = await scrape();
    assert.is(
      Math.floor(
        metricValue(first, "confvault_remote_last_push_success_timestamp_seconds", '{remote="offsite"}')!,
      ),
      pushedAt,
    );
    assert.is(metricValue(first, "confvault_remote_lag_commits", '{remote="offsite"}'), 0);

    git.refusePushes = true;
    t += 1000;
    await applyConfig({
      ctx,
      config: variant(777),
      reason: "change while the remote is down",
      actor: "tester",
      noLive: true,
    });
    t -= 1000;
    for (let i = 0; i < 4; i++) {
      t += HOUR;
      assert.is(await ops.scheduler.fire("push"), "error");
      await ops.alerts.evaluate();
    }
    const stale = await scrape();
    assert.is(
      Math.floor(
        metricValue(stale, "confvault_remote_last_push_success_timestamp_seconds", '{remote="offsite"}')!,
      ),
      pushedAt,
      "last success stays at the last good push",
    );
    assert.is(metricValue(stale, "confvault_remote_lag_commits", '{remote="offsite"}'), 1);
    assert.ok((metricValue(stale, "confvault_schedule_runs_total", '{job="push",result="error"}') ?? 0) >= 4);
    assert.is(receiver.received.length, 1, JSON.stringify(receiver.received));
    const alert = receiver.received[0]!.body;
    assert.is(alert.status, "firing");
    assert.is(alert.id, "offsite-push:offsite");
    assert.match(String(alert.summary), /offsite/);

    git.refusePushes = false;
    t += HOUR;
    assert.is(await ops.scheduler.fire("push"), "ok");
    await ops.alerts.evaluate();
    await ops.alerts.evaluate();
    assert.is(receiver.received.length, 2);
    assert.is(receiver.received[1]!.body.status, "resolved");
    assert.is(receiver.received[1]!.body.id, "offsite-push:offsite");
    assert.is(metricValue(await scrape(), "confvault_remote_lag_commits", '{remote="offsite"}'), 0);
    await ops.stop();
  } finally {
    await receiver.close();
    await git.close();
    await h.cleanup();
  }
});

test("alert delivery is retried when the receiver fails once; nothing is sent twice; Slack payload has text and blocks", async () => {
  const generic = await startReceiver({ failFirst: 1 });
  const slack = await startReceiver();
  const { h } = await homeWithHistory(1);
  try {
    await setAlerts(h.ctx.layout.settings, {
      webhooks: [{ url: generic.url }, { url: slack.url, format: "slack" }],
      retries: 3,
      retryBaseMs: 5,
    });
    const ctx = await openHome({ dir: h.dir, env: h.env });
    let failing = true;
    const facts = (): OpsFacts => ({
      now: new Date().toISOString(),
      latestRestorePoint: null,
      restorePoints: 1,
      restorePointsBySource: { apply: 1 },
      remotes: [],
      drills: {
        version: 1,
        points: {},
        runs: [
          {
            time: "2026-03-01T03:30:00.000Z",
            checked: 3,
            ok: !failing,
            failed: failing ? ["rp/<script>alert(1)</script>"] : [],
          },
        ],
        lastSuccess: null,
        lastFailure: null,
      },
      schedules: { version: 1, jobs: {} },
      certificate: null,
      bundleBytes: null,
      sync: null,
    });
    const evaluator = createAlertEvaluator({ ctx, gather: async () => facts() });
    const r = await evaluator.evaluate();
    assert.is(r.sent, 2);
    assert.is(generic.received.length, 2, "one failed attempt, one retry");
    assert.equal(generic.received[0]!.body, generic.received[1]!.body);
    assert.is(generic.accepted()[0]!.kind, "drill-failed");
    const s = slack.accepted()[0]!;
    assert.type(s.text, "string");
    assert.ok(Array.isArray(s.blocks));
    assert.not.match(String(s.text), /<script>/, "Slack markup is escaped");
    await evaluator.evaluate();
    assert.is(generic.received.length, 2);
    assert.is(slack.received.length, 1);
    failing = false;
    await evaluator.evaluate();
    assert.is(generic.accepted().length, 2);
    assert.is(generic.accepted()[1]!.status, "resolved");
    assert.is(slack.accepted()[1]!.status, undefined);
    assert.match(String(slack.accepted()[1]!.text), /RESOLVED/);
    const state = await evaluator.state();
    const rec = Object.values(state.incidents)[0]!;
    assert.equal(rec.notified.resolved.sort(), [generic.url, slack.url].sort());
  } finally {
    await generic.close();
    await slack.close();
    await h.cleanup();
  }
});

test("templates render user text as JSON values, never as markup or structure", () => {
  const body = renderAlert("generic", {
    status: "firing",
    incident: {
      id: "x",
      kind: "rollback",
      severity: "critical",
      title: 'a "quoted" } title',
      summary: "line\nbreak",
    },
    node: "n1",
    cluster: "c",
    firstSeen: "2026-03-01T00:00:00.000Z",
    resolvedAt: null,
    sentAt: "2026-03-01T00:00:00.000Z",
  }) as Record<string, unknown>;
  assert.is(body.title, 'a "quoted" } title');
  assert.is(body.summary, "line\nbreak");
  assert.is(body.resolvedAt, null);
});

test.run();
