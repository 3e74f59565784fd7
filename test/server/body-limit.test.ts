import { test } from "uvu";
import * as assert from "uvu/assert";
import { testApp } from "./fixtures.ts";

const LIMIT = 1024;

function chunkedBody(chunks: number, chunkSize: number) {
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= chunks) return controller.close();
      sent++;
      controller.enqueue(new Uint8Array(chunkSize).fill(0x20));
    },
  });
  return { stream, sentChunks: () => sent };
}

test("a declared Content-Length over the limit is 413 BODY_TOO_LARGE before anything is read", async () => {
  const t = await testApp({ bodyLimit: LIMIT });
  const body = `<config>${" ".repeat(LIMIT)}</config>`;
  const res = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: {
      "content-type": "application/xml",
      "content-length": String(body.length),
      ...t.auth(t.operatorToken),
    },
    body,
  });
  assert.is(res.status, 413);
  const json = await res.json();
  assert.is(json.error.code, "BODY_TOO_LARGE");
  assert.equal(json.error.data, { limit: LIMIT });
  assert.is(t.calls.length, 0);
});

test("a chunked body without Content-Length is cut off at the limit with 413", async () => {
  const t = await testApp({ bodyLimit: LIMIT });
  const { stream, sentChunks } = chunkedBody(1000, 256);
  const res = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.is(res.status, 413);
  assert.is((await res.json()).error.code, "BODY_TOO_LARGE");
  assert.is(t.calls.length, 0);
  // Reading stopped right after the limit, not at the end of the 256 KB stream.
  assert.ok(sentChunks() < 10, `read ${sentChunks()} chunks`);
});

test("a chunked body under the limit reaches apply intact", async () => {
  const t = await testApp({ bodyLimit: LIMIT });
  const text = "<config>chunked</config>";
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text.slice(0, 10)));
      controller.enqueue(new TextEncoder().encode(text.slice(10)));
      controller.close();
    },
  });
  const res = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { "content-type": "application/xml", ...t.auth(t.operatorToken) },
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.is(res.status, 201);
  const config = (t.calls[0]!.options as { config: Uint8Array }).config;
  assert.is(new TextDecoder().decode(config), text);
});

test("the restore JSON body is limited too", async () => {
  const t = await testApp({ bodyLimit: LIMIT });
  const res = await t.app.request("/api/v1/restore", {
    method: "POST",
    headers: { "content-type": "application/json", ...t.auth(t.operatorToken) },
    body: JSON.stringify({ tag: "rp/a", reason: "x".repeat(LIMIT) }),
  });
  assert.is(res.status, 413);
});

test("an unauthenticated oversized body is refused with 401 without reading it", async () => {
  const t = await testApp({ bodyLimit: LIMIT });
  const { stream, sentChunks } = chunkedBody(1000, 256);
  const res = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { "content-type": "application/xml" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.is(res.status, 401);
  assert.ok(sentChunks() <= 2, `read ${sentChunks()} chunks`);
});

test.run();
