import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConfvaultError, inOperation } from "../../src/errors/confvault-error.ts";
import { SAMPLE_XML, testApp } from "./fixtures.ts";

const xml = { "content-type": "application/xml" };

test("healthz answers ok without a token", async () => {
  const { app } = await testApp();
  const res = await app.request("/healthz");
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: "ok", version: "0.1.0-test" });
});

test("readyz follows ops.ready(): 200, then 503 with detail", async () => {
  const t = await testApp();
  assert.is((await t.app.request("/readyz")).status, 200);
  t.state.ready = false;
  const res = await t.app.request("/readyz");
  assert.is(res.status, 503);
  assert.equal(await res.json(), { status: "not ready", detail: "repository unreadable" });
  t.state.failWith = new Error("boom");
  t.state.ready = true;
  assert.is((await t.app.request("/readyz")).status, 503);
});

test("apply with an operator token commits with the token's name as actor and answers 201", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/apply?reason=open%20port%208080&tag=rp/release-1", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  assert.is(res.status, 201);
  const body = await res.json();
  assert.is(body.tag, "rp/release-1");
  assert.is(body.changed, true);
  assert.is(body.commit.length, 40);
  const call = t.calls.find((c) => c.op === "apply")!.options as Record<string, unknown>;
  assert.is(call.actor, "alice");
  assert.is(call.reason, "open port 8080");
  assert.is(call.tag, "rp/release-1");
  assert.is(call.dryRun, false);
  assert.is(new TextDecoder().decode(call.config as Uint8Array), SAMPLE_XML);
});

test("apply of an unchanged config answers 200 with changed=false", async () => {
  const t = await testApp();
  const send = () =>
    t.app.request("/api/v1/apply?reason=again", {
      method: "POST",
      headers: { "content-type": "text/xml; charset=utf-8", ...t.auth(t.operatorToken) },
      body: SAMPLE_XML,
    });
  assert.is((await send()).status, 201);
  const res = await send();
  assert.is(res.status, 200);
  assert.is((await res.json()).changed, false);
});

test("apply dry_run=1 is passed through and answers 200", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/apply?reason=try&dry_run=1", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  assert.is(res.status, 200);
  assert.is((await res.json()).dryRun, true);
  assert.is((t.calls[0]!.options as { dryRun: boolean }).dryRun, true);
});

test("apply without a reason is 400 BAD_USAGE with a hint, and ops is not called", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/apply", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  assert.is(res.status, 400);
  const body = await res.json();
  assert.is(body.error.code, "BAD_USAGE");
  assert.match(body.error.hint, "reason");
  assert.is(t.calls.length, 0);
});

test("apply with another content type is 415 in the JSON error shape", async () => {
  const t = await testApp();
  for (const headers of [{ "content-type": "application/json" }, {}] as Record<string, string>[]) {
    const res = await t.app.request("/api/v1/apply?reason=x", {
      method: "POST",
      headers: { ...headers, ...t.auth(t.operatorToken) },
      body: SAMPLE_XML,
    });
    assert.is(res.status, 415);
    const body = await res.json();
    assert.is(body.error.code, "BAD_INPUT");
    assert.match(body.error.hint, "application/xml");
  }
  assert.is(t.calls.length, 0);
});

test("auth: no token and an unknown token are 401 with WWW-Authenticate: Bearer", async () => {
  const t = await testApp();
  for (const headers of [
    {},
    { authorization: "Bearer cv_not-a-real-token" },
    { authorization: "Basic YWxpY2U6eA==" },
    { authorization: `Bearer ${t.operatorToken}x` },
  ] as Record<string, string>[]) {
    const res = await t.app.request("/api/v1/restore-points", { headers });
    assert.is(res.status, 401, JSON.stringify(headers));
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer /);
    const body = await res.json();
    assert.is(body.error.code, "UNAUTHORIZED");
    assert.ok(body.error.hint.length > 0);
  }
  assert.is(t.calls.length, 0);
});

test("auth: a viewer may read but gets 403 FORBIDDEN on apply and restore", async () => {
  const t = await testApp();
  const read = await t.app.request("/api/v1/restore-points", { headers: t.auth(t.viewerToken) });
  assert.is(read.status, 200);
  const apply = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.viewerToken) },
    body: SAMPLE_XML,
  });
  assert.is(apply.status, 403);
  assert.is((await apply.json()).error.code, "FORBIDDEN");
  const restore = await t.app.request("/api/v1/restore", {
    method: "POST",
    headers: { "content-type": "application/json", ...t.auth(t.viewerToken) },
    body: JSON.stringify({ tag: "rp/x", reason: "x" }),
  });
  assert.is(restore.status, 403);
  assert.equal(
    t.calls.map((c) => c.op),
    ["listRestorePoints"],
  );
});

test("restore-points lists newest first and passes limit; a bad limit is 400", async () => {
  const t = await testApp();
  for (const reason of ["one", "two"]) {
    await t.app.request(`/api/v1/apply?reason=${reason}`, {
      method: "POST",
      headers: { ...xml, ...t.auth(t.operatorToken) },
      body: `<config>${reason}</config>`,
    });
  }
  const res = await t.app.request("/api/v1/restore-points?limit=1", { headers: t.auth(t.viewerToken) });
  assert.is(res.status, 200);
  const body = await res.json();
  assert.is(body.restorePoints.length, 1);
  assert.is(body.restorePoints[0].reason, "two");
  assert.equal(t.calls.at(-1)!.options, { limit: 1 });
  const bad = await t.app.request("/api/v1/restore-points?limit=-3", { headers: t.auth(t.viewerToken) });
  assert.is(bad.status, 400);
  assert.is((await bad.json()).error.code, "BAD_USAGE");
});

test("config.xml of a restore point whose tag has slashes comes back byte for byte to an operator", async () => {
  const t = await testApp();
  const bytes = '\ufeff<?xml version="1.0"?>\r\n<config><![CDATA[a]]b]]></config>';
  await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: bytes,
  });
  for (const path of [
    "/api/v1/restore-points/rp/20261122T004200Z-1/config.xml",
    "/api/v1/restore-points/rp%2F20261122T004200Z-1/config.xml",
    "/api/v1/restore-points/rp/20261122T004200Z-1/files/config.xml",
  ]) {
    const res = await t.app.request(path, { headers: t.auth(t.operatorToken) });
    assert.is(res.status, 200, path);
    assert.is(res.headers.get("content-type"), "application/xml");
    assert.is(res.headers.get("x-confvault-secrets"), "plaintext");
    assert.equal(new Uint8Array(await res.arrayBuffer()), new TextEncoder().encode(bytes));
  }
  assert.equal(t.calls.at(-1)!.options, { ref: "rp/20261122T004200Z-1", file: "config.xml" });
});

test("files route passes the file name; a missing ref is 404 REF_NOT_FOUND", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/restore-points/rp/nope/files/manifest.json", {
    headers: t.auth(t.viewerToken),
  });
  assert.is(res.status, 404);
  assert.is((await res.json()).error.code, "REF_NOT_FOUND");
  assert.equal(t.calls[0]!.options, { ref: "rp/nope", file: "manifest.json" });
});

test("diff passes from, to, unified and volatile; missing from is 400", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/diff?from=rp/a&to=rp/b&unified=1&volatile=1", {
    headers: t.auth(t.viewerToken),
  });
  assert.is(res.status, 200);
  assert.equal(await res.json(), { from: "rp/a", to: "rp/b", entries: [], text: "no changes" });
  assert.equal(t.calls[0]!.options, { from: "rp/a", to: "rp/b", unified: true, showVolatile: true });
  const missing = await t.app.request("/api/v1/diff", { headers: t.auth(t.viewerToken) });
  assert.is(missing.status, 400);
  assert.is((await missing.json()).error.code, "BAD_USAGE");
});

test("restore with an operator token answers 201 and records the actor", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/restore", {
    method: "POST",
    headers: { "content-type": "application/json", ...t.auth(t.operatorToken) },
    body: JSON.stringify({ tag: "rp/20261122T004200Z-1", reason: "bad rule" }),
  });
  assert.is(res.status, 201);
  assert.is((await res.json()).restoredFrom, "rp/20261122T004200Z-1");
  assert.equal(t.calls[0]!.options, {
    ref: "rp/20261122T004200Z-1",
    reason: "bad rule",
    actor: "alice",
    dryRun: false,
  });
});

test("restore refuses a missing reason, bad JSON and a wrong shape with 400", async () => {
  const t = await testApp();
  const send = (body: string) =>
    t.app.request("/api/v1/restore", {
      method: "POST",
      headers: { "content-type": "application/json", ...t.auth(t.operatorToken) },
      body,
    });
  const noReason = await send(JSON.stringify({ tag: "rp/a", reason: " " }));
  assert.is(noReason.status, 400);
  assert.is((await noReason.json()).error.code, "BAD_USAGE");
  const badJson = await send("{tag:");
  assert.is(badJson.status, 400);
  assert.is((await badJson.json()).error.code, "BAD_INPUT");
  const wrongShape = await send(JSON.stringify({ tag: 5 }));
  assert.is(wrongShape.status, 400);
  assert.is(t.calls.length, 0);
});

test("status returns ops.status()", async () => {
  const t = await testApp();
  const res = await t.app.request("/api/v1/status", { headers: t.auth(t.viewerToken) });
  assert.is(res.status, 200);
  assert.equal(await res.json(), { role: "standalone", restorePoints: 0 });
});

test("status for a viewer: no home or key file, live paths as base names, paths inside messages scrubbed", async () => {
  const t = await testApp();
  const full = {
    home: "/srv/cv/home",
    keyFile: "/srv/cv/home/activation.key",
    liveConfig: "/conf/config.xml",
    node: "n1",
    sync: {
      master: "https://m1:8740",
      failed: {
        code: "LIVE_WRITE_FAILED",
        error: "EACCES: open '/srv/cv/home/state/x.tmp' and /conf/config.xml",
      },
    },
  };
  t.ops.status = async () => structuredClone(full);
  const viewer = await (await t.app.request("/api/v1/status", { headers: t.auth(t.viewerToken) })).json();
  assert.equal(viewer, {
    liveConfig: "config.xml",
    node: "n1",
    sync: {
      master: "https://m1:8740",
      failed: { code: "LIVE_WRITE_FAILED", error: "EACCES: open '<home>/state/x.tmp' and <path>/config.xml" },
    },
  });
  const operator = await (await t.app.request("/api/v1/status", { headers: t.auth(t.operatorToken) })).json();
  assert.equal(operator, full);
});

test("a thrown ConfvaultError becomes its mapped status with code, message, hint and data", async () => {
  const t = await testApp();
  t.state.failWith = new ConfvaultError(
    "XML_MALFORMED",
    "config.xml:3:7: unclosed tag <rule>",
    "Fix the XML and apply again.",
    { line: 3, column: 7 },
  );
  const res = await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: "<config><rule>",
  });
  assert.is(res.status, 400);
  assert.match(res.headers.get("content-type") ?? "", "application/json");
  assert.equal(await res.json(), {
    error: {
      code: "XML_MALFORMED",
      message: "config.xml:3:7: unclosed tag <rule>",
      hint: "Fix the XML and apply again.",
      data: { line: 3, column: 7 },
    },
  });
});

test("an unexpected error is 500 INTERNAL without the message or stack, and is logged", async () => {
  const t = await testApp();
  t.state.failWith = new Error("secret path /var/lib/x exploded");
  const res = await t.app.request("/api/v1/status", { headers: t.auth(t.viewerToken) });
  assert.is(res.status, 500);
  const text = await res.text();
  assert.not.match(text, "exploded");
  assert.not.match(text, "at ");
  const body = JSON.parse(text);
  assert.is(body.error.code, "INTERNAL");
  assert.ok(body.error.hint.length > 0);
  assert.ok(t.logger.lines.some((l) => l.level === "error" && JSON.stringify(l.obj).includes("exploded")));
});

test("a client error's message, hint and data go out with the home as <home> and no other absolute path", async () => {
  const t = await testApp({ home: "/srv/confvault/home1" });
  t.state.failWith = new ConfvaultError(
    "REF_NOT_FOUND",
    "no restore point rp/x in /srv/confvault/home1/repo.git (see /var/lib/other/keys/activation.key)",
    "Run `confvault --home /srv/confvault/home1 log`; GET /api/v1/restore-points lists them.",
    {
      file: "/srv/confvault/home1/state/slave.json",
      url: "https://master.example:8740/api/v1/releases/latest",
    },
  );
  const res = await t.app.request("/api/v1/restore-points/rp/x/files/manifest.json", {
    headers: t.auth(t.viewerToken),
  });
  assert.is(res.status, 404);
  assert.equal(await res.json(), {
    error: {
      code: "REF_NOT_FOUND",
      message: "no restore point rp/x in <home>/repo.git (see <path>/activation.key)",
      hint: "Run `confvault --home <home> log`; GET /api/v1/restore-points lists them.",
      data: { file: "<home>/state/slave.json", url: "https://master.example:8740/api/v1/releases/latest" },
    },
  });
});

test("a dependency's bug text never reaches the client: 500 with code, generic message and request id", async () => {
  const t = await testApp({ home: "/home/u/.confvault" });
  t.state.failWith = inOperation(
    "show",
    new Error(
      "An internal error caused this command to fail. Please file a bug report at https://github.com/isomorphic-git/isomorphic-git/issues with this error message: ENOENT: no such file or directory, open '/home/u/.confvault/repo.git/objects/ab/cdef'",
    ),
  );
  const res = await t.app.request("/api/v1/restore-points/rp/x/config.xml", {
    headers: t.auth(t.operatorToken),
  });
  assert.is(res.status, 500);
  const text = await res.text();
  assert.not.match(text, /isomorphic-git|bug report|\/home\/u|objects\/ab/);
  const body = JSON.parse(text);
  assert.is(body.error.code, "INTERNAL");
  assert.is(body.error.message, "Internal server error");
  assert.is(body.error.requestId, res.headers.get("x-request-id"));
  assert.match(body.error.hint, `request id ${body.error.requestId}`);
  const logged = t.logger.lines.find((l) => l.level === "error" && l.obj.err !== undefined);
  assert.match(JSON.stringify(logged?.obj), "isomorphic-git");
  assert.is(logged?.obj.requestId, body.error.requestId);
});

test("a typed client error carrying a dependency's bug text is logged and answered without it", async () => {
  const t = await testApp();
  t.state.failWith = new ConfvaultError(
    "BAD_INPUT",
    "read failed: Please file an issue at https://github.com/isomorphic-git/isomorphic-git/issues",
    "",
  );
  const res = await t.app.request("/api/v1/restore-points", { headers: t.auth(t.viewerToken) });
  assert.is(res.status, 400);
  const body = await res.json();
  assert.is(body.error.code, "BAD_INPUT");
  assert.not.match(JSON.stringify(body), /isomorphic|file an issue/i);
  assert.ok(
    t.logger.lines.some((l) => l.level === "error" && JSON.stringify(l.obj).includes("file an issue")),
  );
});

test("unknown routes are 404 in the JSON error shape", async () => {
  const t = await testApp();
  const res = await t.app.request("/nope");
  assert.is(res.status, 404);
  assert.is((await res.json()).error.code, "NOT_FOUND");
});

test("security headers and no-store are on every answer, errors included", async () => {
  const t = await testApp();
  for (const [path, status] of [
    ["/healthz", 200],
    ["/nope", 404],
    ["/api/v1/status", 401],
  ] as const) {
    const res = await t.app.request(path);
    assert.is(res.status, status);
    assert.is(res.headers.get("x-content-type-options"), "nosniff", path);
    assert.is(res.headers.get("x-frame-options"), "SAMEORIGIN", path);
    assert.ok(res.headers.get("strict-transport-security"), path);
    assert.is(res.headers.get("cache-control"), "no-store", path);
    assert.ok(res.headers.get("x-request-id"), path);
  }
});

test("one log line per request with method, path, status, duration and actor; never the token", async () => {
  const t = await testApp();
  await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  const requests = t.logger.lines.filter((l) => l.msg === "request");
  assert.is(requests.length, 1);
  const line = requests[0]!.obj;
  assert.is(line.method, "POST");
  assert.is(line.path, "/api/v1/apply");
  assert.is(line.status, 201);
  assert.is(line.actor, "alice");
  assert.type(line.durationMs, "number");
  const all = JSON.stringify(t.logger.lines);
  assert.not.match(all, t.operatorToken);
  assert.not.match(all, "<config>");
});

test("/metrics exposes request counts by route pattern and apply results", async () => {
  const t = await testApp();
  await t.app.request("/api/v1/apply?reason=x", {
    method: "POST",
    headers: { ...xml, ...t.auth(t.operatorToken) },
    body: SAMPLE_XML,
  });
  await t.app.request("/api/v1/restore-points/rp/20261122T004200Z-1/config.xml", {
    headers: t.auth(t.operatorToken),
  });
  const res = await t.app.request("/metrics");
  assert.is(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", "text/plain");
  const text = await res.text();
  assert.match(text, 'confvault_http_requests_total{method="POST",route="/api/v1/apply",status="201"} 1');
  assert.match(
    text,
    'confvault_http_requests_total{method="GET",route="/api/v1/restore-points/:path{.+}",status="200"} 1',
  );
  assert.match(text, 'confvault_api_applies_total{result="changed"} 1');
  assert.match(text, "confvault_apply_duration_seconds_count 1");
  assert.match(text, "process_cpu_user_seconds_total");
});

test.run();
