import { pino } from "pino";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createToken, createTokenVerifier } from "../../src/server/tokens.ts";
import { fakeOps } from "./fixtures.ts";

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

test.run();
