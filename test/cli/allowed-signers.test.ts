import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gitTestEnv, gitTry } from "../helpers/git-cli.ts";
import { cli, ROOT, TEST_KEY, tempDir } from "../helpers/temp-home.ts";

test("keys allowed-signers prints the lines a fresh clone needs for git verify-tag", async () => {
  const base = await tempDir();
  const env = { CONFVAULT_HOME: path.join(base, "home"), CONFVAULT_ACTIVATION_KEY: TEST_KEY };
  try {
    assert.is((await cli(["init", "--live-root", path.join(base, "live"), "--node", "px1"], env)).code, 0);
    const sample = path.join(ROOT, "templates/sample/safesquid-config.xml");
    const applied = await cli(["apply", sample, "-m", "first", "--json"], env);
    assert.is(applied.code, 0, applied.stderr);
    const { tag } = JSON.parse(applied.stdout) as { tag: string };
    const printed = await cli(["keys", "allowed-signers"], env);
    assert.is(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^confvault@px1 namespaces="git" ssh-ed25519 AAAA[A-Za-z0-9+/=]+\n$/);
    const json = JSON.parse((await cli(["keys", "allowed-signers", "--json"], env)).stdout);
    assert.is(json.principal, "confvault@px1");
    assert.equal(json.lines, [printed.stdout.trim()]);
    const signers = path.join(base, "signers");
    await fsp.writeFile(signers, printed.stdout);
    const clone = path.join(base, "clone");
    execFileSync("git", ["clone", "-q", path.join(base, "home", "repo.git"), clone], { env: gitTestEnv });
    const v = gitTry(
      `${clone}/.git`,
      "-c",
      "gpg.format=ssh",
      "-c",
      `gpg.ssh.allowedSignersFile=${signers}`,
      "verify-tag",
      tag,
    );
    assert.is(v.status, 0, v.output);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
});

test.run();
