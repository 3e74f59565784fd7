import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfvaultError } from "../../src/errors/confvault-error.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { logChange } from "../../src/server/observe.ts";
import { createToken, createTokenVerifier } from "../../src/server/tokens.ts";
import { fakeOps, type memoryLogger, SAMPLE_XML, testApp } from "./fixtures.ts";

test("a pino logger fits AppLogger and gets one JSON line per request", async () => {
  const written: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => written.push(line) });
  const viewer = await createToken("victor", "viewer");
  const app = createApp({
    ops: fakeOps().ops,
    tokens: createTokenVerifier([viewer.record]),
    logger,
    metrics: createMetrics(),
    version: "0.1.0-test",
  });
  await app.request("/api/v1/status", { headers: { authorization: `Bearer ${viewer.token}` } });
  assert.is(written.length, 1);
  const line = JSON.parse(written[0]!);
  assert.is(line.msg, "request");
  assert.is(line.method, "GET");
  assert.is(line.path, "/api/v1/status");
  assert.is(line.status, 200);
  assert.is(line.actor, "victor");
  assert.not.match(written[0]!, viewer.token);
});

test("two apps keep separate metric registries", async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.applies.inc({ result: "changed" });
  assert.match(await a.registry.metrics(), 'confvault_api_applies_total{result="changed"} 1');
  assert.not.match(await b.registry.metrics(), 'confvault_api_applies_total{result="changed"}');
});

const changeLines = (t: { logger: ReturnType<typeof memoryLogger> }) =>
  t.logger.lines.filter((l) => l.obj.event === "change");

test("an HTTP apply is logged once as a change with tag, commit, actor, source and duration_ms", async () => {
  const t = await testApp();
  const send = (query: string) =>
    t.app.request(`/api/v1/apply?${query}`, {
      method: "POST",
      headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
      body: SAMPLE_XML,
    });
  assert.is((await send("reason=open%20port&tag=rp/release-1")).status, 201);
  // Neither an unchanged apply nor a dry run changes anything: no change line for them.
  assert.is((await send("reason=again")).status, 200);
  assert.is((await send("reason=try&dry_run=1")).status, 200);
  const changes = changeLines(t);
  assert.is(changes.length, 1);
  const [line] = changes;
  assert.is(line!.level, "info");
  assert.is(line!.msg, "change: apply");
  assert.is(line!.obj.source, "apply");
  assert.is(line!.obj.tag, "rp/release-1");
  assert.is(line!.obj.commit, "c".repeat(40));
  assert.is(line!.obj.actor, "alice");
  assert.type(line!.obj.duration_ms, "number");
  assert.ok((line!.obj.duration_ms as number) >= 0);
  assert.type(line!.obj.request_id, "string");
  assert.not.ok("rolled_back_to" in line!.obj, "absent facts are left out, not null");
  assert.not.match(JSON.stringify(t.logger.lines), t.operatorToken);
});

test("an HTTP apply undone by a failed health check is logged once as a change, with what was put back", async () => {
  const t = await testApp();
  t.state.failWith = new ConfvaultError("HEALTH_FAILED", "the health hook exited with 1", "", {
    commit: "a".repeat(40),
    tag: "rp/20261122T004200Z-5",
    rolledBackTo: "rp/20261122T004200Z-6",
    rollbackCommit: "b".repeat(40),
  });
  const res = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  assert.ok(res.status >= 400);
  const changes = changeLines(t);
  assert.is(changes.length, 1);
  assert.is(changes[0]!.obj.commit, "a".repeat(40));
  assert.is(changes[0]!.obj.tag, "rp/20261122T004200Z-5");
  assert.is(changes[0]!.obj.rolled_back_to, "rp/20261122T004200Z-6");
  assert.is(changes[0]!.obj.code, "HEALTH_FAILED");
  // A refused apply (nothing committed) is no change.
  t.state.failWith = new ConfvaultError("XML_MALFORMED", "not well-formed", "");
  await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  assert.is(changeLines(t).length, 1);
});

test("an HTTP restore is logged once as a change with the restore point it came from", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/restore", {
    method: "POST",
    headers: { "content-type": "application/json", ...t.auth(t.operatorToken) },
    body: JSON.stringify({ tag: "rp/20261122T004200Z-1", reason: "bad rule" }),
  });
  assert.is(res.status, 201);
  const changes = changeLines(t);
  assert.is(changes.length, 1);
  assert.equal(
    { ...changes[0]!.obj, duration_ms: 0, request_id: "" },
    {
      event: "change",
      source: "restore",
      tag: "rp/20261122T004300Z-1",
      commit: "d".repeat(40),
      actor: "alice",
      duration_ms: 0,
      restored_from: "rp/20261122T004200Z-1",
      request_id: "",
    },
  );
});

test("4xx answers are logged at warn with their error code; no token, no body", async () => {
  const t = await testApp();
  // Viewer tries to apply: 403 FORBIDDEN.
  const forbidden = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { "content-type": "application/xml", ...t.auth(t.viewerToken) },
    body: SAMPLE_XML,
  });
  assert.is(forbidden.status, 403);
  // Operator without a reason: 400 BAD_USAGE.
  const noReason = await t.app.request("/api/v1/apply", {
    method: "POST",
    headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  assert.is(noReason.status, 400);
  // A bad token: 401.
  const bad = await t.app.request("/api/v1/status", { headers: t.auth("cvt_not_a_real_token") });
  assert.is(bad.status, 401);
  const requests = t.logger.lines.filter((l) => l.msg === "request");
  assert.equal(
    requests.map((l) => [l.level, l.obj.status, l.obj.code]),
    [
      ["warn", 403, "FORBIDDEN"],
      ["warn", 400, "BAD_USAGE"],
      ["warn", 401, "UNAUTHORIZED"],
    ],
  );
  const all = JSON.stringify(t.logger.lines);
  for (const secret of [t.viewerToken, t.operatorToken, "cvt_not_a_real_token", "<rule id"])
    assert.not.ok(all.includes(secret), `log lines carry ${secret}`);
  // The answers still reach the client whole (the log read a copy of the body).
  assert.is(((await forbidden.json()) as { error: { code: string } }).error.code, "FORBIDDEN");
});

test("2xx answers stay at info without a code", async () => {
  const t = await testApp();
  await t.app.request("/api/v1/status", { headers: t.auth(t.viewerToken) });
  const [line] = t.logger.lines;
  assert.is(line!.level, "info");
  assert.not.ok("code" in line!.obj);
});

test("logChange writes one JSON line through pino, extra facts included, undefined ones left out", () => {
  const written: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => written.push(line) });
  logChange(logger, {
    source: "sync",
    tag: "rp/20261201T000000Z-7",
    commit: "e".repeat(40),
    actor: "master:m1",
    durationMs: 12.3456,
    extra: { master_commit: "f".repeat(40), sequence: 7, origin: "webhook", gone: undefined },
  });
  assert.is(written.length, 1);
  const line = JSON.parse(written[0]!);
  assert.is(line.event, "change");
  assert.is(line.source, "sync");
  assert.is(line.tag, "rp/20261201T000000Z-7");
  assert.is(line.actor, "master:m1");
  assert.is(line.duration_ms, 12.35);
  assert.is(line.master_commit, "f".repeat(40));
  assert.is(line.sequence, 7);
  assert.not.ok("gone" in line);
});

test.run();
