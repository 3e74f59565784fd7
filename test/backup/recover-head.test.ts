import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { recover } from "../../src/api/recover.ts";
import { gitTestEnv } from "../helpers/git-cli.ts";
import { TEST_KEY, type TempHome, tempDir } from "../helpers/temp-home.ts";
import { homeWithHistory } from "./backup-fixtures.ts";

const run = promisify(execFile);
const gitRun = async (cwd: string, ...args: string[]) =>
  (await run("git", args, { cwd, env: { ...gitTestEnv, GIT_CONFIG_GLOBAL: "/dev/null" } })).stdout;

let origin: TempHome;
let scratch: string;

test.before(async () => {
  ({ h: origin } = await homeWithHistory(2));
  scratch = await tempDir("confvault-recover-head-");
});
test.after(async () => {
  await origin.cleanup();
  await fsp.rm(scratch, { recursive: true, force: true });
});

/** A remote made the plain way: `git init --bare` (HEAD → an unborn master), then main pushed to it. */
async function plainBareRemote(name: string): Promise<string> {
  const bare = path.join(scratch, name);
  await gitRun(scratch, "-c", "init.defaultBranch=master", "init", "--bare", "--quiet", bare);
  await gitRun(
    scratch,
    `--git-dir=${origin.ctx.layout.gitdir}`,
    "push",
    "--quiet",
    bare,
    "refs/heads/main:refs/heads/main",
    "refs/tags/*:refs/tags/*",
  );
  assert.is((await gitRun(scratch, `--git-dir=${bare}`, "symbolic-ref", "HEAD")).trim(), "refs/heads/master");
  return bare;
}

for (const shallow of [false, true]) {
  test(`recover from a plain git init --bare remote sets HEAD to main${shallow ? " (shallow)" : ""}; a clone checks out`, async () => {
    const bare = await plainBareRemote(`plain-${shallow}.git`);
    const dir = path.join(scratch, `home-${shallow}`);
    const result = await recover({
      dir,
      from: pathToFileURL(bare).href,
      liveRoot: path.join(scratch, `live-${shallow}`),
      env: { CONFVAULT_ACTIVATION_KEY: TEST_KEY },
      shallow,
    });
    assert.is(result.shallow, shallow);
    const gitdir = path.join(dir, "repo.git");
    const head = (await gitRun(scratch, `--git-dir=${gitdir}`, "symbolic-ref", "HEAD")).trim();
    assert.is(head, "refs/heads/main");
    const main = (await gitRun(scratch, `--git-dir=${gitdir}`, "rev-parse", "refs/heads/main")).trim();
    assert.is((await gitRun(scratch, `--git-dir=${gitdir}`, "rev-parse", "HEAD")).trim(), main);
    // A plain clone of the recovered repository checks main out.
    const clone = path.join(scratch, `clone-${shallow}`);
    await gitRun(scratch, "clone", "--quiet", ...(shallow ? [] : []), pathToFileURL(gitdir).href, clone);
    assert.is((await gitRun(clone, "rev-parse", "--abbrev-ref", "HEAD")).trim(), "main");
    assert.is((await gitRun(clone, "rev-parse", "HEAD")).trim(), main);
    const files = (await fsp.readdir(clone)).sort();
    assert.ok(files.includes("config.xml"), files.join(","));
    assert.ok(files.includes("manifest.json"), files.join(","));
  });
}

test.run();
