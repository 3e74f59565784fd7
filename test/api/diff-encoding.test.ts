import { execFileSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { diff } from "../../src/api/diff.ts";
import { tempHome } from "../helpers/temp-home.ts";

const sjis = (text: string) =>
  new Uint8Array(execFileSync("iconv", ["-f", "UTF-8", "-t", "SHIFT_JIS"], { input: text }));

test("diff --unified shows a Shift_JIS config in its own script, not as mojibake", async () => {
  const h = await tempHome({ profile: "generic" });
  try {
    const doc = (comment: string) =>
      `<?xml version="1.0" encoding="Shift_JIS"?>\n<config>\n  <rule id="1"><comment>${comment}</comment></rule>\n</config>\n`;
    const a = await applyConfig({ ctx: h.ctx, config: sjis(doc("東京の規則")), reason: "a", actor: "t" });
    await applyConfig({ ctx: h.ctx, config: sjis(doc("大阪の規則")), reason: "b", actor: "t" });
    const d = await diff({ ctx: h.ctx, from: a.tag, unified: true });
    assert.match(d.unified ?? "", /-.*東京の規則/);
    assert.match(d.unified ?? "", /\+.*大阪の規則/);
  } finally {
    await h.cleanup();
  }
});

test.run();
