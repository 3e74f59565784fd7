import { test } from "uvu";
import * as assert from "uvu/assert";
import { serveNode } from "../../src/server/serve-node.ts";
import { memoryLogger, testApp } from "./fixtures.ts";

async function until(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("serveNode on port 0 reports the real port and answers /healthz over a socket", async () => {
  const t = await testApp();
  const server = await serveNode({ app: t.app, host: "127.0.0.1", port: 0, logger: memoryLogger() });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
    const res = await fetch(`${server.url}/healthz`);
    assert.is(res.status, 200);
    assert.equal(await res.json(), { status: "ok", version: "0.1.0-test" });
    assert.is(res.headers.get("x-content-type-options"), "nosniff");
  } finally {
    await server.close();
  }
});

test("a chunked upload over the limit is 413 over a real socket", async () => {
  const t = await testApp({ bodyLimit: 1024 });
  const server = await serveNode({ app: t.app, host: "127.0.0.1", port: 0, logger: memoryLogger() });
  try {
    let chunks = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (++chunks > 64) return controller.close();
        controller.enqueue(new Uint8Array(512).fill(0x20));
      },
    });
    const res = await fetch(`${server.url}/api/v1/apply?reason=x`, {
      method: "POST",
      headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
      body,
      duplex: "half",
    } as RequestInit);
    assert.is(res.status, 413);
    assert.is((await res.json()).error.code, "BODY_TOO_LARGE");
    assert.is(t.calls.length, 0);
  } finally {
    await server.close();
  }
});

test("close() lets an in-flight request finish, then refuses new connections", async () => {
  const t = await testApp();
  t.state.delayMs = 300;
  const server = await serveNode({ app: t.app, host: "127.0.0.1", port: 0, logger: memoryLogger() });
  const inFlight = fetch(`${server.url}/api/v1/status`, { headers: t.auth(t.viewerToken) });
  await until(() => t.calls.length > 0);
  const started = Date.now();
  let closed = false;
  const closing = server.close().then(() => {
    closed = true;
  });
  const res = await inFlight;
  assert.is(res.status, 200);
  assert.equal(await res.json(), { role: "standalone", restorePoints: 0 });
  await closing;
  assert.ok(closed);
  assert.ok(Date.now() - started < 3000, "close waited for idle keep-alive connections");
  try {
    await fetch(`${server.url}/healthz`);
    assert.unreachable("server still accepts connections");
  } catch (err) {
    assert.instance(err, TypeError);
  }
});

test("close() gives up on a request that outlives the shutdown timeout", async () => {
  const t = await testApp();
  t.state.delayMs = 1500;
  const logger = memoryLogger();
  const server = await serveNode({ app: t.app, host: "127.0.0.1", port: 0, logger, shutdownTimeoutMs: 200 });
  const inFlight = fetch(`${server.url}/api/v1/status`, { headers: t.auth(t.viewerToken) }).then(
    (res) => res.status,
    () => "cut",
  );
  await until(() => t.calls.length > 0);
  const started = Date.now();
  await server.close();
  assert.ok(Date.now() - started < 2000);
  assert.is(await inFlight, "cut");
  assert.ok(logger.lines.some((l) => l.level === "warn" && l.msg.includes("shutdown timeout")));
});

test.run();
