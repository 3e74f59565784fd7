import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { prune } from "../../src/api/prune.ts";
import { startServer } from "../../src/cli/start-server.ts";
import { silentLogger } from "../../src/home/context.ts";
import { openHome } from "../../src/home/open-home.ts";
import { variant } from "../backup/backup-fixtures.ts";
import { tempHome } from "../helpers/temp-home.ts";

// Issue 14 over HTTP: the restore point in force at a time, the trash and undelete. Viewers read,
// operators write, node tokens are refused everywhere here.
test("GET /restore-points/at, GET /trash, POST /undelete: roles, edges and the round trip", async () => {
  const base = Date.parse("2026-11-01T00:00:00Z");
  let clock = base;
  const h = await tempHome({ now: new Date(base) });
  const ctx = await openHome({ dir: h.dir, env: h.env, now: () => new Date(clock) });
  const made: { tag: string; commit: string }[] = [];
  for (let i = 0; i < 4; i++) {
    clock = base + i * 3_600_000;
    const r = await applyConfig({ ctx, config: variant(300 + i), reason: `v${i}`, actor: "t" });
    made.push({ tag: r.tag, commit: r.commit });
  }
  clock = base + 5 * 3_600_000;
  // Generated names (a named restore point is never pruned).
  const pruned = await prune({ ctx, policy: { keepLast: 2 }, actor: "t" });
  assert.is(pruned.removed.length, 2);
  const server = await startServer(ctx, {
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    schedules: false,
  });
  const viewer = h.tokens.find((t) => t.role === "viewer")!.token;
  const operator = h.tokens.find((t) => t.role === "operator")!.token;
  const node = "cvn_0123456789abcdef0123456789abcdef";
  const call = async (method: string, p: string, token: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api/v1${p}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };
  try {
    // Point in force: between two points, at one exactly, zones honoured, future = current.
    const between = await call("GET", "/restore-points/at?time=2026-11-01T01:30:00Z", viewer);
    assert.is(between.status, 200, JSON.stringify(between.body));
    assert.is(between.body.commit, made[1]!.commit);
    assert.is(between.body.tag, null, "its tag was pruned: the commit is in force, untagged");
    assert.is(between.body.at, "2026-11-01T01:30:00.000Z");
    const exact = await call(
      "GET",
      `/restore-points/at?time=${encodeURIComponent("2026-11-01T03:00+00:00")}`,
      viewer,
    );
    assert.is(exact.body.tag, made[3]!.tag);
    const zoned = await call(
      "GET",
      `/restore-points/at?time=${encodeURIComponent("2026-11-01T03:30+01:00")}`,
      viewer,
    );
    assert.is(zoned.body.tag, made[2]!.tag, "02:30Z");
    assert.is((await call("GET", "/restore-points/at?at=2099-01-01", operator)).body.tag, made[3]!.tag);
    const before = await call("GET", "/restore-points/at?time=2026-10-31T23:59Z", viewer);
    assert.is(before.status, 404);
    assert.is(before.body.error.code, "REF_NOT_FOUND");
    assert.match(before.body.error.message, /first one was made at 2026-11-01T00:00:00/);
    assert.is((await call("GET", "/restore-points/at?time=yesterday", viewer)).body.error.code, "BAD_USAGE");
    assert.is((await call("GET", "/restore-points/at", viewer)).status, 400);
    // The `{.+}` route for files still answers beside it.
    assert.is((await call("GET", `/restore-points/${made[3]!.tag}/files/manifest.json`, viewer)).status, 200);

    // The trash, newest deletion first; viewers may list it.
    const trash = await call("GET", "/trash", viewer);
    assert.is(trash.status, 200);
    assert.equal(
      trash.body.deleted.map((d: { tag: string }) => d.tag).sort(),
      [made[0]!.tag, made[1]!.tag].sort(),
    );
    const v1 = trash.body.deleted.find((d: { tag: string }) => d.tag === made[1]!.tag);
    assert.is(v1.commit, made[1]!.commit);
    assert.is(v1.deletedAt, "2026-11-01T05:00:00.000Z");
    assert.is(v1.expiresAt, "2026-11-08T05:00:00.000Z", "retention.trashDays 7");

    // Undelete: operators only, JSON only, known names only.
    const refused = await call("POST", "/undelete", viewer, { tag: made[1]!.tag });
    assert.is(refused.status, 403);
    assert.is(refused.body.error.code, "FORBIDDEN");
    assert.is((await call("POST", "/undelete", operator, { nope: 1 })).body.error.code, "BAD_INPUT");
    const unknown = await call("POST", "/undelete", operator, { tag: "rp/never" });
    assert.is(unknown.status, 404);
    assert.is(unknown.body.error.code, "NOT_FOUND");
    const back = await call("POST", "/undelete", operator, { tag: made[1]!.tag.slice(3) });
    assert.is(back.status, 200, JSON.stringify(back.body));
    assert.is(back.body.tag, made[1]!.tag, "found without its rp/ prefix");
    assert.equal(
      (await call("GET", "/trash", viewer)).body.deleted.map((d: { tag: string }) => d.tag),
      [made[0]!.tag],
    );
    const points = (await call("GET", "/restore-points", viewer)).body.restorePoints;
    assert.ok(
      points.some((p: { tag: string }) => p.tag === made[1]!.tag),
      "it lists again",
    );
    assert.is(
      (await call("GET", "/restore-points/at?time=2026-11-01T01:30:00Z", viewer)).body.tag,
      made[1]!.tag,
    );

    // Node tokens read nothing here and change nothing.
    for (const [method, p, body] of [
      ["GET", "/restore-points/at?time=2026-11-01T01:30:00Z", undefined],
      ["GET", "/trash", undefined],
      ["POST", "/undelete", { tag: made[0]!.tag }],
    ] as const) {
      const r = await call(method, p, node, body);
      assert.is(r.status, 403, `${method} ${p}`);
      assert.is(r.body.error.code, "FORBIDDEN");
    }
    // No token: 401.
    assert.is((await fetch(`${server.url}/api/v1/trash`)).status, 401);
    assert.is(
      (await call("GET", "/trash", viewer)).body.deleted.length,
      1,
      "the oldest is still in the trash",
    );
  } finally {
    await server.close();
    await h.cleanup();
  }
});

test.run();
