import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { renderSystemdUnit } from "../../src/api/render-systemd-unit.ts";
import { ROOT, tempDir, tempHome } from "../helpers/temp-home.ts";

const run = promisify(execFile);
const available = await run("systemd-analyze", ["--version"]).then(
  () => true,
  () => false,
);

async function exposure(unitFile: string): Promise<{ score: number; output: string }> {
  const { stdout } = await run("systemd-analyze", ["security", "--offline=true", "--no-pager", unitFile]);
  const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(stdout);
  if (!m) throw new Error(`no exposure score in:\n${stdout}`);
  return { score: Number(m[1]), output: stdout };
}

async function verify(unitFile: string): Promise<string> {
  const r = await run("systemd-analyze", ["verify", unitFile]).catch(
    (e) => e as { stderr: string; code: number },
  );
  return `${(r as { stderr?: string }).stderr ?? ""}`.trim();
}

const maybe = available ? test : test.skip;
if (!available) console.log("systemd-analyze is not installed: the unit checks are skipped");

maybe("the shipped unit scores ≤ 3.0 in systemd-analyze security and verifies clean", async () => {
  const dir = await tempDir();
  const file = path.join(dir, "confvault.service");
  await fsp.copyFile(path.join(ROOT, "templates/confvault.service"), file);
  const { score, output } = await exposure(file);
  assert.ok(score <= 3.0, `exposure ${score}:\n${output}`);
  assert.is(await verify(file), "");
});

maybe("a unit rendered for a home opens exactly the profile's live folders and stays ≤ 3.0", async () => {
  const home = await tempHome({ profile: "safesquid" });
  const text = await renderSystemdUnit({ ctx: home.ctx, user: "proxyvault", keyFile: "/etc/cv/key" });
  const rw = text.split("\n").find((l) => l.startsWith("ReadWritePaths="));
  assert.is(
    rw,
    `ReadWritePaths=${home.dir} -${path.join(home.liveRoot, "usr/local/safesquid/security/policies")} -${path.join(home.liveRoot, "usr/local/safesquid/security/ssl")}`,
  );
  assert.match(text, /^User=proxyvault$/m);
  assert.match(text, /^LoadCredential=activation\.key:\/etc\/cv\/key$/m);
  assert.match(text, /--key-file %d\/activation\.key serve$/m);
  const file = path.join(home.dir, "confvault.service");
  await fsp.writeFile(file, text);
  assert.ok((await exposure(file)).score <= 3.0);
  assert.is(await verify(file), "");
  await home.cleanup();
});

test("a hostile user name or key path is refused", async () => {
  const home = await tempHome();
  for (const bad of [
    { user: "root\nExecStartPre=/bin/sh" },
    { keyFile: "relative/key" },
    { keyFile: "/a b" },
  ]) {
    try {
      await renderSystemdUnit({ ctx: home.ctx, ...bad });
      assert.unreachable(`accepted ${JSON.stringify(bad)}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, "BAD_USAGE");
    }
  }
  await home.cleanup();
});

test.run();
