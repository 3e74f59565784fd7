import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { cli, enc, ROOT, tempHome } from "../helpers/temp-home.ts";

test("diff --live and status --diff show what drifted on the appliance, secrets only as 'changed'", async () => {
  const h = await tempHome();
  try {
    const base = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
    await applyConfig({ ctx: h.ctx, config: enc(base), reason: "first", actor: "t" });
    const clean = await cli(["--home", h.dir, "--json", "diff", "--live"], h.env);
    assert.is(clean.code, 0, clean.stderr);
    assert.is(JSON.parse(clean.stdout).drift, false);

    // Someone edits the appliance: a new rule and a changed secret (the LDAP bind password).
    const edited = base
      .replace("</access>", '<allow id="4242"><comment>added on the box</comment></allow></access>')
      .replace(/<ldappassword>[^<]*<\/ldappassword>/, "<ldappassword>changed-on-the-box-123</ldappassword>");
    await fsp.writeFile(h.ctx.live("config")!, edited);
    const d = await cli(["--home", h.dir, "--json", "diff", "--live"], h.env);
    assert.is(d.code, 0, d.stderr);
    const out = JSON.parse(d.stdout);
    assert.is(out.drift, true);
    assert.is(out.to, "live");
    assert.match(out.text, /4242|added on the box/);
    assert.not.match(d.stdout, /changed-on-the-box-123/, "a secret's value never shows");
    assert.match(out.text, /secret changed/);

    const s = await cli(["--home", h.dir, "status", "--diff"], h.env);
    assert.is(s.code, 0, s.stderr);
    assert.match(s.stdout, /drift: .* → live config\.xml/);
  } finally {
    await h.cleanup();
  }
});

test.run();
