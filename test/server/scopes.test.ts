import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { bindOperations } from "../../src/api/operations.ts";
import { showFile } from "../../src/api/show-file.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { serveNode } from "../../src/server/serve-node.ts";
import { createToken, createTokenVerifier } from "../../src/server/tokens.ts";
import { readJson, syncPaths } from "../../src/sync/json-state.ts";
import { dec, enc, type TempHome, tempHome } from "../helpers/temp-home.ts";
import { inProcessPair, MASTER_URL, SAMPLE } from "../sync/in-process.ts";
import { memoryLogger } from "./fixtures.ts";

/**
 * Scopes over a real socket, on a real home: viewers read markers only, plaintext needs an
 * operator and is logged, node tokens read nothing here, viewers see no paths in status, and
 * server faults answer without paths or a dependency's texts.
 */

const SECRETS = {
  hash: "$2y$10$YRVoF4SgskIsrXOvOQjGieB9XqHPRra9R7d80B3BZdbY",
  monit: "xt3ICmWZy5i17WPCK3",
  prv: Buffer.from(
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
  ).toString("base64"),
};
const CONFIG = `<?xml version="1.0"?>
<opnsense>
  <system>
    <hostname>fw1</hostname>
    <user><name>root</name><password>${SECRETS.hash}</password></user>
  </system>
  <OPNsense><monit><general><httpdPassword>${SECRETS.monit}</httpdPassword></general></monit></OPNsense>
  <cert><descr>web</descr><prv>${SECRETS.prv}</prv></cert>
</opnsense>
`;

interface Served {
  h: TempHome;
  url: string;
  tag: string;
  logger: ReturnType<typeof memoryLogger>;
  operator: string;
  viewer: string;
  get(p: string, token: string): Promise<Response>;
  close(): Promise<void>;
}

async function served(): Promise<Served> {
  const h = await tempHome({ profile: "opnsense" });
  const applied = await applyConfig({ ctx: h.ctx, config: enc(CONFIG), reason: "first", actor: "test" });
  const operator = await createToken("alice", "operator");
  const viewer = await createToken("victor", "viewer");
  const logger = memoryLogger();
  const app = createApp({
    ops: bindOperations(h.ctx),
    tokens: createTokenVerifier([operator.record, viewer.record]),
    logger,
    metrics: createMetrics(),
    version: "0.1.0-test",
  });
  const server = await serveNode({ app, host: "127.0.0.1", port: 0, logger: memoryLogger() });
  return {
    h,
    url: server.url,
    tag: applied.tag,
    logger,
    operator: operator.token,
    viewer: viewer.token,
    get: (p, token) => fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${token}` } }),
    async close() {
      await server.close();
      await h.cleanup();
    },
  };
}

const plaintextReads = (s: Served) => s.logger.lines.filter((l) => l.obj.event === "plaintext_read");

test("a viewer reading config.xml gets the committed bytes: secrets as markers, nothing logged as plaintext", async () => {
  const s = await served();
  try {
    const committed = await showFile({ ctx: s.h.ctx, ref: s.tag, file: "committed/config.xml" });
    for (const p of [
      `/api/v1/restore-points/${s.tag}/config.xml`,
      `/api/v1/restore-points/${encodeURIComponent(s.tag)}/config.xml`,
      `/api/v1/restore-points/${s.tag}/files/config.xml`,
      `/api/v1/restore-points/${s.tag}/files/committed/config.xml`,
    ]) {
      const res = await s.get(p, s.viewer);
      assert.is(res.status, 200, p);
      assert.is(res.headers.get("x-confvault-secrets"), "markers", p);
      const body = new Uint8Array(await res.arrayBuffer());
      assert.equal(body, committed, p);
      const text = dec(body);
      for (const secret of Object.values(SECRETS)) assert.not.match(text, secret, p);
      assert.is(text.match(/confvault-secret:v1:[0-9a-f]{24}/g)?.length, 3, p);
      assert.match(text, "<hostname>fw1</hostname>");
    }
    const manifest = await s.get(`/api/v1/restore-points/${s.tag}/files/manifest.json`, s.viewer);
    assert.is(manifest.status, 200);
    const sealed = await s.get(`/api/v1/restore-points/${s.tag}/files/secrets.sealed.age`, s.viewer);
    assert.is(sealed.status, 403);
    assert.is((await sealed.json()).error.code, "FORBIDDEN");
    assert.equal(plaintextReads(s), []);
  } finally {
    await s.close();
  }
});

test("an operator reading config.xml gets the secrets put back, and the read is logged as one JSON line", async () => {
  const s = await served();
  try {
    const before = Date.now();
    const res = await s.get(`/api/v1/restore-points/${s.tag}/config.xml`, s.operator);
    assert.is(res.status, 200);
    assert.is(res.headers.get("x-confvault-secrets"), "plaintext");
    const text = await res.text();
    assert.is(text, CONFIG);
    const reads = plaintextReads(s);
    assert.is(reads.length, 1);
    const line = JSON.parse(JSON.stringify(reads[0]!.obj)) as Record<string, string>;
    assert.is(reads[0]!.level, "info");
    assert.is(line.actor, "alice");
    assert.is(line.role, "operator");
    assert.is(line.ref, s.tag);
    assert.is(line.file, "config.xml");
    assert.ok(Date.parse(line.time!) >= before - 1000 && Date.parse(line.time!) <= Date.now());
    assert.is(line.requestId, res.headers.get("x-request-id"));
    // The committed bytes are not plaintext: reading them is not logged as such.
    await s.get(`/api/v1/restore-points/${s.tag}/files/committed/config.xml`, s.operator);
    assert.is(plaintextReads(s).length, 1);
  } finally {
    await s.close();
  }
});

test("a node token reads no restore point, file or status: 403", async () => {
  const s = await served();
  try {
    const node = `cvn_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
    for (const p of [
      `/api/v1/restore-points/${s.tag}/config.xml`,
      `/api/v1/restore-points/${s.tag}/files/committed/config.xml`,
      "/api/v1/restore-points",
      "/api/v1/status",
    ]) {
      const res = await s.get(p, node);
      assert.is(res.status, 403, p);
      const body = await res.json();
      assert.is(body.error.code, "FORBIDDEN", p);
      assert.not.match(JSON.stringify(body), SECRETS.monit);
    }
    assert.equal(plaintextReads(s), []);
  } finally {
    await s.close();
  }
});

test("a slave's real node token fetches its releases from the master but reads no restore point or status: 403", async () => {
  const pair = await inProcessPair();
  try {
    const applied = await applyConfig({
      ctx: pair.masterHome.ctx,
      config: SAMPLE,
      reason: "first",
      actor: "t",
    });
    const { nodeToken } = await readJson<{ nodeToken: string }>(
      syncPaths(pair.slaveCtx.layout.state).credentials,
      { nodeToken: "" },
    );
    assert.match(nodeToken, /^cvn_/);
    const master = pair.apps["master.test:8740"]!;
    const get = (p: string) =>
      master.fetch(new Request(`${MASTER_URL}${p}`, { headers: { authorization: `Bearer ${nodeToken}` } }));
    const latest = await get("/api/v1/releases/latest");
    assert.is(latest.status, 200, "the node token is genuine and may fetch releases");
    for (const p of [
      `/api/v1/restore-points/${applied.tag}/config.xml`,
      `/api/v1/restore-points/${applied.tag}/files/committed/config.xml`,
      `/api/v1/restore-points/${applied.tag}/files/secrets.sealed.age`,
      "/api/v1/status",
    ]) {
      const res = await get(p);
      assert.is(res.status, 403, p);
      assert.is((await res.json()).error.code, "FORBIDDEN", p);
    }
  } finally {
    await pair.cleanup();
  }
});

test("status shows a viewer no absolute path (home, live file); an operator sees them", async () => {
  const s = await served();
  try {
    const viewer = await (await s.get("/api/v1/status", s.viewer)).json();
    const text = JSON.stringify(viewer);
    const base = path.dirname(s.h.dir);
    assert.not.match(text, base);
    assert.not.match(text, /"\/[^"]*"/, "no string value is an absolute path");
    assert.is(viewer.home, undefined);
    assert.is(viewer.liveConfig, "config.xml");
    assert.is(viewer.node, "node1");
    assert.is(viewer.restorePoints, 1);
    const operator = await (await s.get("/api/v1/status", s.operator)).json();
    assert.is(operator.home, s.h.dir);
    assert.is(operator.liveConfig, path.join(s.h.liveRoot, "conf/config.xml"));
  } finally {
    await s.close();
  }
});

test("a corrupt repository answers 500 with code, generic message and request id: no path, no dependency text", async () => {
  const s = await served();
  try {
    // Empty every object file: git (and isomorphic-git) can no longer read the restore point.
    const objects = path.join(s.h.ctx.layout.gitdir, "objects");
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else files.push(full);
      }
    };
    await walk(objects);
    assert.ok(files.length > 0);
    for (const f of files) {
      await fsp.chmod(f, 0o644);
      await fsp.writeFile(f, "");
    }
    const res = await s.get(`/api/v1/restore-points/${s.tag}/config.xml`, s.operator);
    assert.ok(res.status >= 500, `status ${res.status}`);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.not.match(text, path.dirname(s.h.dir));
    assert.not.match(text, /isomorphic-git|file (a bug|an issue)|node_modules/i);
    assert.is(body.error.requestId, res.headers.get("x-request-id"));
    assert.match(body.error.hint, body.error.requestId);
    assert.ok(["INTERNAL", "GIT_FAILED", "MANIFEST_MISMATCH", "VERIFY_FAILED"].includes(body.error.code));
    const logged = s.logger.lines.filter((l) => l.level === "error" && l.obj.err !== undefined);
    assert.is(logged.length, 1);
    assert.is(logged[0]!.obj.requestId, body.error.requestId);
    // The log has the full error (what failed, the dependency's own message); the answer has neither.
    const full = JSON.stringify(logged[0]!.obj.err);
    assert.match(full, /Reading the repository failed|compressed|object/i);
    assert.not.match(body.error.message, /Reading the repository failed|compressed/i);
    assert.equal(plaintextReads(s), []);
  } finally {
    await s.close();
  }
});

test.run();
