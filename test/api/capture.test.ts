import { promises as fsp } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { capture } from "../../src/api/capture.ts";
import { diff } from "../../src/api/diff.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { showFile } from "../../src/api/show-file.ts";
import { cli, dec, enc, tempHome } from "../helpers/temp-home.ts";

/** An OPNsense-shaped config written here (the real fixtures are checked elsewhere). */
const opnsense = (time: string, hostname: string, rules: string) =>
  enc(`<?xml version="1.0"?>
<opnsense>
  <system>
    <hostname>${hostname}</hostname>
    <domain>example.internal</domain>
    <user><name>root</name><password>$2y$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ012</password></user>
  </system>
  <filter>
${rules}  </filter>
  <revision>
    <username>root@10.0.0.5</username>
    <time>${time}</time>
    <description>/firewall_rules.php made changes</description>
  </revision>
</opnsense>
`);
const RULE = (id: string, port: number) =>
  `    <rule uuid="${id}"><type>pass</type><destination><port>${port}</port></destination></rule>\n`;

test("capture records out-of-band changes, ignores volatile-only ones, and diff hides volatile fields", async () => {
  const h = await tempHome({ profile: "opnsense" });
  try {
    const live = h.ctx.live("config")!;
    const first = opnsense("1700000000.1", "fw1", RULE("a", 443));
    await applyConfig({ ctx: h.ctx, config: first, reason: "baseline", actor: "t" });
    // The appliance saved again: only <revision> changed.
    await fsp.writeFile(live, opnsense("1700000999.5", "fw1", RULE("a", 443)));
    const none = await capture({ ctx: h.ctx, actor: "cron" });
    assert.is(none.changed, false);
    assert.is((await listRestorePoints({ ctx: h.ctx })).length, 1);
    // An admin added a rule in the appliance's own UI.
    const edited = opnsense("1700001234.0", "fw1", RULE("a", 443) + RULE("b", 22));
    await fsp.writeFile(live, edited);
    const got = await capture({ ctx: h.ctx, actor: "cron" });
    assert.ok(got.changed);
    const points = await listRestorePoints({ ctx: h.ctx });
    assert.is(points[0].source, "capture");
    assert.equal(await showFile({ ctx: h.ctx, ref: got.tag }), edited, "capture keeps the appliance's bytes");
    assert.equal(new Uint8Array(await fsp.readFile(live)), edited, "capture never writes the live file");
    const d = await diff({ ctx: h.ctx, from: points[1].tag, to: got.tag });
    assert.match(d.text, /rule\[uuid=b\]/);
    assert.not.match(d.text, /revision/);
    const all = await diff({ ctx: h.ctx, from: points[1].tag, to: got.tag, showVolatile: true });
    assert.match(all.text, /revision\/time/);
    // The bcrypt hash was lifted: not in the committed bytes.
    assert.not.match(
      dec(await showFile({ ctx: h.ctx, ref: got.tag, file: "committed/config.xml" })),
      /\$2y\$10\$/,
    );
  } finally {
    await h.cleanup();
  }
});

test("two processes applying at the same time both land, one after the other", async () => {
  const h = await tempHome();
  try {
    const base = `${h.dir}/..`;
    const sample = dec(
      new Uint8Array(
        await fsp.readFile(new URL("../../templates/sample/safesquid-config.xml", import.meta.url)),
      ),
    );
    await fsp.writeFile(`${base}/a.xml`, sample.replace("<request_timeout>120<", "<request_timeout>1<"));
    await fsp.writeFile(`${base}/b.xml`, sample.replace("<request_timeout>120<", "<request_timeout>2<"));
    const env = { ...h.env, CONFVAULT_HOME: h.dir };
    const [a, b] = await Promise.all([
      cli(["apply", `${base}/a.xml`, "-m", "a"], env),
      cli(["apply", `${base}/b.xml`, "-m", "b"], env),
    ]);
    assert.is(a.code, 0, a.stderr);
    assert.is(b.code, 0, b.stderr);
    const points = await listRestorePoints({ ctx: h.ctx });
    assert.is(points.length, 2);
    const history = await h.ctx.engine.log({ ref: "main" });
    assert.is(history.length, 2, "linear history: the second apply is on top of the first");
  } finally {
    await h.cleanup();
  }
});

test.run();
