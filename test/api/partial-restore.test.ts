import { promises as fsp } from "node:fs";
import path from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { bindOperations } from "../../src/api/operations.ts";
import { restore } from "../../src/api/restore.ts";
import { pointAt } from "../../src/core/point-at.ts";
import { spliceSections } from "../../src/core/splice-sections.ts";
import { openHome } from "../../src/home/open-home.ts";
import { readTokenRecords } from "../../src/home/token-file.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { makeCert } from "../helpers/make-cert.ts";
import { cli, cliError, dec, enc, git, ROOT, sharedFixture, tempHome } from "../helpers/temp-home.ts";

// Issue 14 items 1 and 2: restore only chosen sections (or only the certificate pair), keeping
// every other byte of the current config; and the restore point in force at a time.
const test = suite("partial restore and --at");

const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");

/** The bytes of the one element `path` names (with predicates as in --section) and what lies outside it. */
function around(bytes: Uint8Array, section: string) {
  const [p, id] = section.split("[@id=") as [string, string | undefined];
  const scan = scanXml(bytes, { patterns: [p] });
  const span = scan.matches.find(
    (m) => m.path === p && (id === undefined || m.attributes.id === id.slice(0, -1)),
  );
  assert.ok(span, `${section} exists`);
  return {
    inside: dec(bytes.subarray(span!.start, span!.end)),
    before: dec(bytes.subarray(0, span!.start)),
    after: dec(bytes.subarray(span!.end)),
  };
}

function edited(base: string, tag: string): string {
  return base
    .replace("</access>", `<allow id="9${tag.length}"><comment>${tag} access</comment></allow></access>`)
    .replace('<ldapsection id="107">', `<ldapsection id="107"><comment>${tag} ldap</comment>`)
    .replace("</dlp>", `<!-- ${tag} dlp --></dlp>`);
}

test("--section access and ldap/ldapsection[@id=107]: those bytes from REF, every other byte as it is now", async () => {
  const h = await tempHome();
  try {
    const a = await applyConfig({ ctx: h.ctx, config: enc(SAMPLE), reason: "A", actor: "t" });
    const bText = edited(SAMPLE, "B");
    await applyConfig({ ctx: h.ctx, config: enc(bText), reason: "B", actor: "t" });
    const b = enc(bText);

    const dry = await cli(
      ["--home", h.dir, "--json", "restore", a.tag, "--section", "access", "-m", "x", "--dry-run"],
      h.env,
    );
    assert.is(dry.code, 0, dry.stderr);
    assert.match(JSON.parse(dry.stdout).diff.text, /access/);

    const r = await cli(
      ["--home", h.dir, "--json", "restore", a.tag, "--section", "access", "-m", "access back"],
      h.env,
    );
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.sections, [{ section: "access", action: "replaced", count: 1 }]);
    const live = new Uint8Array(await fsp.readFile(h.ctx.live("config")!));
    const now = around(live, "access");
    const was = around(b, "access");
    assert.is(now.inside, around(enc(SAMPLE), "access").inside, "access is REF's");
    assert.is(now.before, was.before, "everything before access is the current config's");
    assert.is(now.after, was.after, "everything after access is the current config's (ldap and dlp keep B)");
    const msg = await git(h.ctx.layout.gitdir, "log", "-1", "--format=%B", "main");
    assert.match(msg, /Confvault-Restored-Sections: access replaced/);
    assert.match(msg, /^partial restore of /);

    const ctx = await openHome({ dir: h.dir, env: h.env });
    await restore({
      ctx,
      ref: a.tag,
      reason: "ldap back",
      actor: "t",
      sections: ["ldap/ldapsection[@id=107]"],
    });
    const live2 = new Uint8Array(await fsp.readFile(ctx.live("config")!));
    assert.not.match(dec(live2), /B ldap/);
    assert.match(dec(live2), /B dlp/, "dlp still holds B's change");
    assert.not.match(dec(live2), /B access/);
  } finally {
    await h.cleanup();
  }
});

test("a section on one side only is refused with the list unless --missing add/remove/skip; unknown ones are NOT_FOUND", () => {
  const current = enc(SAMPLE.replace(/\n[ \t]*<wccp>[\s\S]*?<\/wccp>/, ""));
  const from = enc(SAMPLE);
  try {
    spliceSections(current, from, ["wccp"]);
    assert.unreachable("refused");
  } catch (err) {
    assert.is((err as { code: string }).code, "BAD_INPUT");
    assert.match((err as Error).message, /wccp: 1 only in the restore point/);
  }
  const added = spliceSections(current, from, ["wccp"], "add");
  assert.equal(added.outcomes, [{ section: "wccp", action: "added", count: 1 }]);
  assert.match(dec(added.config), /<wccp>/);
  assert.is(scanXml(added.config).rootName, "safesquid", "still well-formed");
  const skipped = spliceSections(current, from, ["wccp"], "skip");
  assert.is(dec(skipped.config), dec(current));
  const removed = spliceSections(from, current, ["wccp"], "remove");
  assert.not.match(dec(removed.config), /<wccp>/);
  assert.is(dec(removed.config), dec(current), "removing leaves no blank line behind");
  try {
    spliceSections(current, from, ["nosuch"]);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, "NOT_FOUND");
  }
  try {
    spliceSections(current, from, ["access[@id=1"]);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, "BAD_USAGE");
  }
});

test("--cert restores only the certificate pair; HTTP takes sections too", async () => {
  const h = await tempHome();
  try {
    const one = makeCert("root one");
    const two = makeCert("root two");
    const a = await applyConfig({
      ctx: h.ctx,
      config: enc(SAMPLE),
      cert: one.cert,
      key: one.key,
      reason: "A",
      actor: "t",
    });
    const bText = edited(SAMPLE, "B");
    await applyConfig({
      ctx: h.ctx,
      config: enc(bText),
      cert: two.cert,
      key: two.key,
      reason: "B",
      actor: "t",
    });
    const r = await cli(
      ["--home", h.dir, "--json", "restore", a.tag, "--cert", "-m", "old root back"],
      h.env,
    );
    assert.is(r.code, 0, r.stderr);
    assert.is(await fsp.readFile(h.ctx.live("cert")!, "utf8"), one.cert);
    assert.is(await fsp.readFile(h.ctx.live("key")!, "utf8"), one.key);
    assert.is(await fsp.readFile(h.ctx.live("config")!, "utf8"), bText, "the config stays B's");

    const ctx = await openHome({ dir: h.dir, env: h.env });
    const app = createApp({
      ops: bindOperations(ctx),
      tokens: createTokenVerifier(await readTokenRecords(ctx.layout.tokens)),
      logger: { info() {}, warn() {}, error() {} },
      metrics: createMetrics(),
      version: "test",
    });
    const operator = h.tokens.find((t) => t.role === "operator")!.token;
    const res = await app.request("/api/v1/restore", {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify({ tag: a.tag, reason: "dlp back over HTTP", sections: ["dlp"] }),
    });
    assert.is(res.status, 201, await res.clone().text());
    const body = await res.json();
    assert.equal(body.sections, [{ section: "dlp", action: "replaced", count: 1 }]);
    const live = await fsp.readFile(ctx.live("config")!, "utf8");
    assert.not.match(live, /B dlp/);
    assert.match(live, /B access/);
    const bad = await app.request("/api/v1/restore", {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify({ tag: a.tag, reason: "x", sections: ["nosuch"] }),
    });
    assert.is(bad.status, 404);
  } finally {
    await h.cleanup();
  }
});

test("real fixtures: SafeSquid access and one ldapsection, OPNsense filter rules", async () => {
  const squid = await sharedFixture("safesquid-config.xml");
  const opn = await sharedFixture("opnsense-lab-backup.xml");
  if (!squid || !opn) return console.log("  (skipped: ../shared absent)");
  const squidText = dec(squid);
  const changed = enc(
    squidText
      .replace(/(<access>[\s\S]*?<enabled>)TRUE/, "$1FALSE")
      .replace('<ldapsection id="107">', '<ldapsection id="107"><!-- local edit -->')
      .replace("</dlp>", "<!-- dlp edit --></dlp>"),
  );
  for (const section of ["access", "ldap/ldapsection[@id=107]"]) {
    const out = spliceSections(changed, squid, [section]).config;
    const got = around(out, section);
    const cur = around(changed, section);
    assert.is(got.inside, around(squid, section).inside, `${section} is REF's`);
    assert.is(
      got.before + "\u0000" + got.after,
      cur.before + "\u0000" + cur.after,
      `outside ${section} is current's`,
    );
  }
  const opnText = dec(opn);
  const opnChanged = enc(
    opnText
      .replace(/(<filter>[\s\S]*?<descr>)/, "$1edited: ")
      .replace("<version>11.2</version>", "<version>11.3</version>"),
  );
  const out = spliceSections(opnChanged, opn, ["filter"]).config;
  assert.is(around(out, "filter").inside, around(opn, "filter").inside);
  assert.match(dec(out), /<version>11\.3<\/version>/, "outside filter stays current");
});

test("--at: before the first point, between two, in the future", async () => {
  const base = Date.parse("2026-11-01T00:00:00Z");
  let clock = base;
  const h = await tempHome({ now: new Date(base) });
  try {
    const ctx = await openHome({ dir: h.dir, env: h.env, now: () => new Date(clock) });
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock = base + i * 3_600_000;
      made.push(
        (await applyConfig({ ctx, config: enc(edited(SAMPLE, `v${i}`)), reason: `v${i}`, actor: "t" }))
          .commit,
      );
    }
    try {
      await pointAt(ctx, "2026-10-31T23:59Z");
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code: string }).code, "REF_NOT_FOUND");
      assert.match((err as Error).message, /first one was made at 2026-11-01T00:00:00/);
    }
    assert.is((await pointAt(ctx, "2026-11-01T00:00Z")).commit, made[0]);
    assert.is((await pointAt(ctx, "2026-11-01T01:30:00+00:00")).commit, made[1]);
    assert.is((await pointAt(ctx, "2026-11-01T02:30+01:00")).commit, made[1], "zones are honoured");
    assert.is((await pointAt(ctx, "2099-01-01")).commit, made[2], "a future time is the current point");
    const show = await cli(
      ["--home", h.dir, "show", "--at", "2026-11-01T01:30Z", "--file", "committed/config.xml"],
      h.env,
    );
    assert.is(show.code, 0, show.stderr);
    assert.match(show.stdout, /v1 access/);
    const bad = await cli(["--home", h.dir, "--json", "show", "--at", "yesterday"], h.env);
    assert.is(cliError(bad).code, "BAD_USAGE");
    const diff = await cli(["--home", h.dir, "--json", "diff", "--at", "2026-11-01T00:30Z"], h.env);
    assert.is(diff.code, 0, diff.stderr);
    assert.is(JSON.parse(diff.stdout).from, made[0]);
  } finally {
    await h.cleanup();
  }
});

test.run();
