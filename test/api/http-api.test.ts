import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { bindOperations } from "../../src/api/operations.ts";
import { status } from "../../src/api/status.ts";
import { readTokenRecords } from "../../src/home/token-file.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import { makeCert } from "../helpers/make-cert.ts";
import { ROOT, tempHome } from "../helpers/temp-home.ts";

const SAMPLE = new Uint8Array(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml")));
const quiet = { info() {}, warn() {}, error() {} };

async function appFor() {
  const h = await tempHome();
  const app = createApp({
    ops: bindOperations(h.ctx),
    tokens: createTokenVerifier(await readTokenRecords(h.ctx.layout.tokens)),
    logger: quiet,
    metrics: createMetrics(),
    version: "test",
  });
  const operator = h.tokens.find((t) => t.role === "operator")!.token;
  return { h, app, auth: { authorization: `Bearer ${operator}` } };
}

test("POST /api/v1/apply takes multipart config.xml + cert + key and seals the pair", async () => {
  const { h, app, auth } = await appFor();
  try {
    const { cert, key } = makeCert("multipart root", 20);
    const form = new FormData();
    form.set("config.xml", new Blob([SAMPLE], { type: "application/xml" }), "config.xml");
    form.set("cert", new Blob([cert]), "root.cer");
    form.set("key", new Blob([key]), "root.pem");
    const res = await app.request("/api/v1/apply?reason=with%20cert", {
      method: "POST",
      headers: auth,
      body: form,
    });
    assert.is(res.status, 201, await res.clone().text());
    const body = await res.json();
    assert.ok(
      body.warnings.some((w: string) => /expires in \d+ days/.test(w)),
      "a certificate expiring within 30 days warns",
    );
    assert.is(await fsp.readFile(h.ctx.live("cert")!, "utf8"), cert);
    assert.is(await fsp.readFile(h.ctx.live("key")!, "utf8"), key);
    assert.is((await fsp.stat(h.ctx.live("key")!)).mode & 0o777, 0o600);
    const s = await status({ ctx: h.ctx });
    assert.is((s.certificate as { warning: boolean }).warning, true);
    // A key that does not belong to the certificate is refused and nothing changes.
    const other = makeCert("another root");
    const bad = new FormData();
    bad.set("config.xml", new Blob([SAMPLE]), "config.xml");
    bad.set("cert", new Blob([cert]), "root.cer");
    bad.set("key", new Blob([other.key]), "root.pem");
    const refused = await app.request("/api/v1/apply?reason=mismatch", {
      method: "POST",
      headers: auth,
      body: bad,
    });
    assert.is(refused.status, 400);
    assert.is((await refused.json()).error.code, "CERT_KEY_MISMATCH");
    assert.is(await fsp.readFile(h.ctx.live("key")!, "utf8"), key);
  } finally {
    await h.cleanup();
  }
});

test("an oversized apply body gets 413 and changes nothing", async () => {
  const h = await tempHome();
  try {
    const app = createApp({
      ops: bindOperations(h.ctx),
      tokens: createTokenVerifier(await readTokenRecords(h.ctx.layout.tokens)),
      logger: quiet,
      metrics: createMetrics(),
      version: "test",
      bodyLimit: 64 * 1024,
    });
    const auth = {
      authorization: `Bearer ${h.tokens.find((t) => t.role === "operator")!.token}`,
      "content-type": "application/xml",
    };
    const big = new Uint8Array(200 * 1024).fill(0x20);
    const res = await app.request("/api/v1/apply?reason=big", { method: "POST", headers: auth, body: big });
    assert.is(res.status, 413);
    assert.is(await h.ctx.engine.branchTip("main"), null);
  } finally {
    await h.cleanup();
  }
});

test.run();
