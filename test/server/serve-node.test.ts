import { promises as fsp } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { selfSignedCertificate } from "../../src/cli/self-signed-certificate.ts";
import { homeLayout } from "../../src/home/layout.ts";
import { serveNode } from "../../src/server/serve-node.ts";
import { certificateFingerprint256, readTlsIdentity } from "../../src/server/tls-files.ts";
import { createPinnedFetch } from "../../src/sync/pinned-fetch.ts";
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

test("a body that trickles in slower than requestTimeout is cut off with 408 and the socket closed", async () => {
  const t = await testApp();
  const server = await serveNode({
    app: t.app,
    host: "127.0.0.1",
    port: 0,
    logger: memoryLogger(),
    limits: { requestTimeoutMs: 300, headersTimeoutMs: 200 },
  });
  try {
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write(
      `POST /api/v1/apply?reason=slow HTTP/1.1\r\nhost: x\r\ncontent-type: application/xml\r\ncontent-length: 100000\r\nauthorization: Bearer ${t.operatorToken}\r\n\r\n<a>`,
    );
    const drip = setInterval(() => socket.writable && socket.write(" "), 50);
    let answer = "";
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    const started = Date.now();
    await new Promise<void>((r) => socket.once("close", () => r()));
    clearInterval(drip);
    const took = Date.now() - started;
    assert.ok(took < 3000, `cut off after ${took} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.is(t.calls.length, 0);
  } finally {
    await server.close();
  }
});

test("connections beyond maxConnections are closed as they arrive; the server still answers after", async () => {
  const t = await testApp();
  const logger = memoryLogger();
  const server = await serveNode({
    app: t.app,
    host: "127.0.0.1",
    port: 0,
    logger,
    limits: { maxConnections: 2 },
  });
  const { port } = new URL(server.url);
  const held: net.Socket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const s = net.connect(Number(port), "127.0.0.1");
      await new Promise<void>((r) => s.once("connect", () => r()));
      held.push(s);
    }
    const extra = net.connect(Number(port), "127.0.0.1");
    extra.on("error", () => {});
    await new Promise<void>((r) => extra.once("close", () => r()));
    for (const s of held) s.destroy();
    held.length = 0;
    await new Promise((r) => setTimeout(r, 50));
    const res = await fetch(`${server.url}/healthz`);
    assert.is(res.status, 200);
  } finally {
    for (const s of held) s.destroy();
    await server.close();
  }
});

test("with a TLS pair the server speaks https:// and the pinned fetch reaches it", async () => {
  const pair = selfSignedCertificate("confvault test", 2, { altNames: ["127.0.0.1"] });
  if (!pair) return console.log("  (skipped: no openssl)");
  const t = await testApp();
  const server = await serveNode({
    app: t.app,
    host: "127.0.0.1",
    port: 0,
    logger: memoryLogger(),
    tls: { certPem: pair.cert, keyPem: pair.key },
  });
  try {
    assert.match(server.url, /^https:\/\//);
    const pinned = createPinnedFetch({ fingerprint256: certificateFingerprint256(pair.cert) });
    const res = await pinned(`${server.url}/healthz`);
    assert.is(res.status, 200);
    const other = createPinnedFetch({ fingerprint256: "00".repeat(32) });
    try {
      await other(`${server.url}/healthz`);
      assert.unreachable("a wrong pin must be refused");
    } catch (err) {
      assert.is((err as { code?: string }).code, "TLS_UNTRUSTED");
    }
  } finally {
    await server.close();
  }
});
test("a TLS pair that does not fit is TLS_INVALID; a home without one serves plain HTTP", async () => {
  const a = selfSignedCertificate("confvault a", 2);
  const b = selfSignedCertificate("confvault b", 2);
  if (!a || !b) return console.log("  (skipped: no openssl)");
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-tls-"));
  try {
    const layout = homeLayout(dir);
    assert.is(await readTlsIdentity(layout), null, "no pair: plain HTTP");
    await fsp.writeFile(path.join(dir, "a.crt"), a.cert);
    await fsp.writeFile(path.join(dir, "b.key"), b.key);
    await fsp.writeFile(path.join(dir, "junk.crt"), "not a certificate");
    for (const [cert, key, why] of [
      ["a.crt", "b.key", /does not belong/],
      ["junk.crt", "b.key", /not a PEM certificate/],
      ["a.crt", "missing.key", /cannot read the TLS key/],
    ] as const) {
      try {
        await readTlsIdentity(layout, { cert: path.join(dir, cert), key: path.join(dir, key) });
        assert.unreachable(`${cert} + ${key} accepted`);
      } catch (err) {
        assert.is((err as { code?: string }).code, "TLS_INVALID");
        assert.match((err as Error).message, why);
      }
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test.run();
