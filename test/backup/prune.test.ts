import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { prune } from "../../src/api/prune.ts";
import { showFile } from "../../src/api/show-file.ts";
import { planRetention } from "../../src/backup/retention-plan.ts";
import { openHome } from "../../src/home/open-home.ts";
import { dec, enc, git, ROOT, tempHome } from "../helpers/temp-home.ts";

const SAMPLE = dec(
  new Uint8Array(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"))),
);
const HOUR = 3600;

test("retention keeps the newest per period, named points and the newest point", () => {
  const start = Date.UTC(2026, 0, 1) / 1000;
  const points = Array.from({ length: 24 * 10 }, (_, i) => ({
    tag: `rp/20260101T000000Z-${i + 1}`,
    time: start + i * HOUR,
  }));
  points.push({ tag: "rp/before-upgrade", time: start });
  const plan = planRetention(points, { keepLast: 3, keepHourly: 5, keepDaily: 4 });
  const kept = plan.filter((d) => d.keep).map((d) => d.tag);
  assert.ok(kept.includes("rp/before-upgrade"));
  assert.ok(kept.includes("rp/20260101T000000Z-240"));
  // last 3 and hourly 5 overlap on the newest hours; daily 4 adds the newest of 3 more days.
  assert.is(kept.length, 5 + 3 + 1);
  assert.equal(plan.find((d) => d.tag === "rp/20260101T000000Z-240")!.reasons, [
    "newest",
    "last 3",
    "hourly 2026-01-10T23",
    "daily 2026-01-10",
  ]);
});

test("prune removes tags only, records them on the audit branch, and keeps every commit reachable", async () => {
  const h = await tempHome();
  try {
    let clock = Date.UTC(2026, 5, 1) / 1000;
    const ctx = await openHome({ dir: h.dir, env: h.env, now: () => new Date(clock * 1000) });
    for (let i = 0; i < 30; i++) {
      await applyConfig({
        ctx,
        config: enc(SAMPLE.replace("<request_timeout>120<", `<request_timeout>${100 + i}<`)),
        reason: `change ${i}`,
        actor: "t",
        noLive: true,
        tag: i === 3 ? "golden" : undefined,
      });
      clock += 5 * HOUR;
    }
    const dry = await prune({ ctx, policy: { keepLast: 2, keepDaily: 3 }, dryRun: true, actor: "t" });
    assert.ok(dry.removed.length > 20);
    assert.is((await listRestorePoints({ ctx })).length, 30, "a dry run removes nothing");
    const r = await prune({ ctx, policy: { keepLast: 2, keepDaily: 3 }, actor: "ops" });
    assert.equal(
      r.removed.map((d) => d.tag),
      dry.removed.map((d) => d.tag),
    );
    const left = await listRestorePoints({ ctx });
    assert.is(left.length, 30 - r.removed.length);
    assert.ok(left.some((p) => p.tag === "rp/golden"));
    const audit = await git(ctx.layout.gitdir, "show", "confvault-audit:pruned.jsonl");
    const records = audit
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.is(records.length, r.removed.length);
    assert.is(records[0].by, "ops");
    // History stays: a pruned point's commit is still there and restorable by id.
    assert.match(dec(await showFile({ ctx, ref: records[0].commit })), /<request_timeout>\d+</);
    await git(ctx.layout.gitdir, "fsck", "--strict", "--no-progress");
  } finally {
    await h.cleanup();
  }
});

test.run();
