import { test } from "uvu";
import * as assert from "uvu/assert";
import { verify } from "../../src/api/verify.ts";
import { readDrills } from "../../src/ops/drill-store.ts";
import { homeWithHistory, PYCA } from "../backup/backup-fixtures.ts";
import { cli } from "../helpers/temp-home.ts";

test("verify --drill --sample N drills N random points, records each result, and status --report shows the last good drill", async () => {
  const { h, tags } = await homeWithHistory(5, { withCert: true });
  try {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const sampled = await verify({ ctx: h.ctx, drill: true, sample: 2, random });
    assert.ok(sampled.ok, JSON.stringify(sampled));
    assert.is(sampled.points.length, 2);
    for (const p of sampled.points) assert.ok(tags.includes(p.ref));
    let drills = await readDrills(h.ctx.layout.state);
    assert.is(Object.keys(drills.points).length, 2);
    for (const p of sampled.points) {
      assert.is(drills.points[p.ref]?.ok, true);
      assert.is(drills.points[p.ref]?.commit, p.commit);
    }
    const good = drills.lastSuccess;
    assert.ok(good);

    // A failing drill is recorded with its error; the last good drill stays.
    const bad = await verify({ ctx: h.ctx, ref: "rp/does-not-exist", drill: true });
    assert.not.ok(bad.ok);
    drills = await readDrills(h.ctx.layout.state);
    assert.is(drills.points["rp/does-not-exist"]?.ok, false);
    assert.ok(drills.points["rp/does-not-exist"]?.error?.message);
    assert.equal(drills.lastSuccess, good);
    assert.is(drills.runs.length, 2);
    assert.is(drills.runs[1]?.ok, false);

    // Plain verify (no drill) records nothing.
    await verify({ ctx: h.ctx, all: true });
    assert.is((await readDrills(h.ctx.layout.state)).runs.length, 2);

    const md = await cli(["--home", h.dir, "status", "--report"], h.env);
    assert.is(md.code, 0, md.stderr);
    assert.match(md.stdout, /# confvault status report/);
    assert.match(
      md.stdout,
      new RegExp(`last good drill: ${good!.ref.replace(/[/]/g, "\\/")} at ${good!.time}`),
    );
    assert.match(md.stdout, /rp\/does-not-exist/);
    assert.match(md.stdout, /standalone/);
    assert.match(md.stdout, /\| capture \| \*\/5 \* \* \* \* \|/);
    if (PYCA) assert.match(md.stdout, /expires .* days\)/);
    const json = await cli(["--home", h.dir, "--json", "status", "--report"], h.env);
    assert.is(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.drills.lastSuccess, good);
    assert.equal(report.drills.failingPoints, ["rp/does-not-exist"]);
    assert.is(report.repository.restorePoints, 5);
    assert.ok(report.repository.bytes > 0);
    assert.ok(report.repository.bundleBytes > 0);
    assert.is(report.nodes.mode, "standalone");
    const plain = await cli(["--home", h.dir, "status"], h.env);
    assert.match(plain.stdout, /last good drill: rp\//);
  } finally {
    await h.cleanup();
  }
});

test.run();
