import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { bindOperations } from "../../src/api/operations.ts";
import { prune } from "../../src/api/prune.ts";
import { status } from "../../src/api/status.ts";
import { readTokenRecords } from "../../src/home/token-file.ts";
import { compareNatural } from "../../src/repo/tag-order.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import { cli, ROOT, tempHome } from "../helpers/temp-home.ts";

const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
const quiet = { info() {}, warn() {}, error() {} };
const variant = (n: number) => new TextEncoder().encode(`${SAMPLE.trimEnd()}\n<!-- change ${n} -->\n`);
const SECOND = new Date("2026-12-03T10:00:00.000Z");

test("names compare numerically: …Z-9 before …Z-10", () => {
  assert.ok(compareNatural("rp/20261203T100000Z-9", "rp/20261203T100000Z-10") < 0);
  assert.ok(compareNatural("rp/a-2", "rp/a-2") === 0);
});

test("restore points made in the same second (HTTP applies, a named one then unnamed ones, -9/-10) are listed in creation order by log, the API and status; prune --keep-last 1 keeps the newest", async () => {
  const h = await tempHome();
  try {
    (h.ctx as { now: () => Date }).now = () => SECOND;
    const app = createApp({
      ops: bindOperations(h.ctx),
      tokens: createTokenVerifier(await readTokenRecords(h.ctx.layout.tokens)),
      logger: quiet,
      metrics: createMetrics(),
      version: "test",
    });
    const auth = { authorization: `Bearer ${h.tokens.find((t) => t.role === "operator")!.token}` };
    const made: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const form = new FormData();
      form.set("config.xml", new Blob([variant(i)], { type: "application/xml" }), "config.xml");
      const res = await app.request(`/api/v1/apply?reason=http%20${i}`, {
        method: "POST",
        headers: auth,
        body: form,
      });
      assert.is(res.status, 201, await res.clone().text());
      made.push((await res.json()).tag);
    }
    assert.is(made[8], "rp/20261203T100000Z-9");
    assert.is(made[9], "rp/20261203T100000Z-10");
    // A user-named point (sorts above by name) and then an unnamed one, in the same second.
    const named = await applyConfig({
      ctx: h.ctx,
      config: variant(11),
      reason: "named",
      actor: "t",
      tag: "zz-release",
    });
    const last = await applyConfig({ ctx: h.ctx, config: variant(12), reason: "unnamed", actor: "t" });
    made.push(named.tag!, last.tag!);
    assert.is(named.tag, "rp/zz-release");
    const newestFirst = [...made].reverse();

    const log = await listRestorePoints({ ctx: h.ctx });
    assert.equal(
      log.map((p) => p.tag),
      newestFirst,
    );
    const res = await app.request("/api/v1/restore-points", { headers: auth });
    const api = (await res.json()).restorePoints.map((p: { tag: string }) => p.tag);
    assert.equal(api, newestFirst);
    const s = await status({ ctx: h.ctx });
    assert.is((s.latest as { tag: string }).tag, last.tag);
    const tags = await h.ctx.engine.listTags("rp/");
    assert.equal(
      tags.map((t) => t.sequence),
      Array.from({ length: 12 }, (_, i) => 12 - i),
    );

    const pruned = await prune({ ctx: h.ctx, policy: { keepLast: 1 }, actor: "t" });
    const kept = pruned.kept.map((d) => d.tag);
    assert.ok(kept.includes(last.tag!), `the newest point is kept: ${kept}`);
    assert.ok(pruned.removed.some((d) => d.tag === "rp/20261203T100000Z-10"));
    assert.equal((await listRestorePoints({ ctx: h.ctx }))[0].tag, last.tag);
  } finally {
    await h.cleanup();
  }
});

test("CLI: a named restore point and then an unnamed one: `log` lists the unnamed (newer) one first", async () => {
  const h = await tempHome();
  try {
    const a = path.join(h.dir, "a.xml");
    const b = path.join(h.dir, "b.xml");
    await fsp.writeFile(a, variant(1));
    await fsp.writeFile(b, variant(2));
    const first = await cli(["--home", h.dir, "apply", a, "-m", "named", "--tag", "zz-named"], h.env);
    assert.is(first.code, 0, first.stderr);
    const second = await cli(["--home", h.dir, "apply", b, "-m", "unnamed"], h.env);
    assert.is(second.code, 0, second.stderr);
    const log = await cli(["--home", h.dir, "log"], h.env);
    assert.is(log.code, 0, log.stderr);
    const unnamed = log.stdout.search(/rp\/\d{8}T\d{6}Z-2/);
    const named = log.stdout.indexOf("rp/zz-named");
    assert.ok(unnamed >= 0 && named > unnamed, log.stdout);
  } finally {
    await h.cleanup();
  }
});

test.run();
