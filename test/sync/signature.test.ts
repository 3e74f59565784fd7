import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { createDeliveryLog } from "../../src/sync/delivery-log.ts";
import { signSyncRequest, verifySyncRequest } from "../../src/sync/signature.ts";
import { tempDir } from "../helpers/temp-home.ts";

const SECRET = "cluster-secret-for-tests-0123456789";
const BODY = JSON.stringify({ cluster: "c", commit: "a".repeat(40), tag: "rp/x", sequence: 3 });
const NOW = new Date("2026-11-22T10:00:00Z");

async function signed(body = BODY, now = NOW) {
  const h = await signSyncRequest({ secret: SECRET, body, delivery: "d-0123456789abcdef", now });
  return {
    signature: h["x-confvault-signature"],
    timestamp: h["x-confvault-timestamp"],
    delivery: h["x-confvault-delivery"],
  };
}

async function refusedWith(p: Promise<unknown>, code: string): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isConfvaultError(err), String(err));
    assert.is((err as { code: string }).code, code);
    return (err as Error).message;
  }
  assert.unreachable("expected a refusal");
  return "";
}

test("a signed webhook verifies and gives its delivery id back", async () => {
  const headers = await signed();
  assert.match(headers.signature, /^sha256=[0-9a-f]{64}$/);
  const r = await verifySyncRequest({ secret: SECRET, body: BODY, headers, now: NOW });
  assert.is(r.delivery, "d-0123456789abcdef");
  assert.is(r.timestamp, Math.floor(NOW.getTime() / 1000));
});

test("the signature matches HMAC-SHA256(secret, timestamp + '.' + delivery + '.' + body) as documented", async () => {
  const { createHmac } = await import("node:crypto");
  const headers = await signed();
  const expected = createHmac("sha256", SECRET)
    .update(`${headers.timestamp}.${headers.delivery}.${BODY}`)
    .digest("hex");
  assert.is(headers.signature, `sha256=${expected}`);
});

test("a captured webhook replayed with a fresh delivery id is refused with UNAUTHORIZED", async () => {
  const headers = await signed();
  await refusedWith(
    verifySyncRequest({
      secret: SECRET,
      body: BODY,
      headers: { ...headers, delivery: "d-fresh-0000000001" },
      now: NOW,
    }),
    "UNAUTHORIZED",
  );
});

test("a tampered body, a wrong secret or a forged signature is refused with UNAUTHORIZED", async () => {
  const headers = await signed();
  await refusedWith(
    verifySyncRequest({ secret: SECRET, body: BODY.replace("rp/x", "rp/y"), headers, now: NOW }),
    "UNAUTHORIZED",
  );
  await refusedWith(
    verifySyncRequest({ secret: `${SECRET}x`, body: BODY, headers, now: NOW }),
    "UNAUTHORIZED",
  );
  const flipped = headers.signature.slice(0, -1) + (headers.signature.endsWith("0") ? "1" : "0");
  await refusedWith(
    verifySyncRequest({ secret: SECRET, body: BODY, headers: { ...headers, signature: flipped }, now: NOW }),
    "UNAUTHORIZED",
  );
  // Same length, wrong in the first byte: goes through the same constant-time verify path.
  const first = `sha256=${headers.signature.slice(7, 8) === "0" ? "1" : "0"}${headers.signature.slice(8)}`;
  await refusedWith(
    verifySyncRequest({ secret: SECRET, body: BODY, headers: { ...headers, signature: first }, now: NOW }),
    "UNAUTHORIZED",
  );
  // The timestamp is covered by the signature: moving it breaks it.
  await refusedWith(
    verifySyncRequest({
      secret: SECRET,
      body: BODY,
      headers: { ...headers, timestamp: String(Number(headers.timestamp) + 1) },
      now: NOW,
    }),
    "UNAUTHORIZED",
  );
});

test("malformed or missing headers are refused without computing anything", async () => {
  const headers = await signed();
  for (const bad of [
    { ...headers, signature: null },
    { ...headers, signature: "sha1=abc" },
    { ...headers, signature: "sha256=zz" },
    { ...headers, timestamp: "yesterday" },
    { ...headers, delivery: "x" },
    { ...headers, delivery: null },
  ]) {
    await refusedWith(
      verifySyncRequest({ secret: SECRET, body: BODY, headers: bad, now: NOW }),
      "UNAUTHORIZED",
    );
  }
});

test("webhooks outside the 5-minute window are refused, inside it accepted", async () => {
  const old = await signed(BODY, new Date(NOW.getTime() - 301_000));
  const msg = await refusedWith(
    verifySyncRequest({ secret: SECRET, body: BODY, headers: old, now: NOW }),
    "UNAUTHORIZED",
  );
  assert.match(msg, /timestamp/);
  const future = await signed(BODY, new Date(NOW.getTime() + 301_000));
  await refusedWith(
    verifySyncRequest({ secret: SECRET, body: BODY, headers: future, now: NOW }),
    "UNAUTHORIZED",
  );
  const edge = await signed(BODY, new Date(NOW.getTime() - 299_000));
  await verifySyncRequest({ secret: SECRET, body: BODY, headers: edge, now: NOW });
});

test("a delivery id is accepted once, refused as REPLAYED after, also after a restart, and forgotten after expiry", async () => {
  const dir = await tempDir();
  const file = `${dir}/deliveries.json`;
  let now = NOW;
  const log = createDeliveryLog(file, 600, () => now);
  await log.remember("d-aaaaaaaaaaaa");
  await refusedWith(log.remember("d-aaaaaaaaaaaa"), "REPLAYED");
  const restarted = createDeliveryLog(file, 600, () => now);
  await refusedWith(restarted.remember("d-aaaaaaaaaaaa"), "REPLAYED");
  await restarted.remember("d-bbbbbbbbbbbb");
  now = new Date(NOW.getTime() + 601_000);
  await restarted.remember("d-aaaaaaaaaaaa");
});

test.run();
