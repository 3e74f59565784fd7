import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { recover } from "../../src/api/recover.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { RECOVER_MARKER } from "../../src/backup/fresh-home-dir.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { currentIdentity } from "../../src/home/home-lock.ts";
import { livePath } from "../../src/home/layout.ts";
import { safesquid } from "../../src/profiles/safesquid.ts";
import { type GitHttpServer, startGitHttpServer } from "../helpers/git-http-server.ts";
import { cli, ROOT, TEST_KEY, type TempHome, tempDir } from "../helpers/temp-home.ts";
import { exists, homeWithHistory } from "./backup-fixtures.ts";

const TOKEN = "recover-token-0123456789";
const env = { CONFVAULT_ACTIVATION_KEY: TEST_KEY, T: TOKEN };
const live = (root: string, kind: "config" | "cert" | "key") => livePath(root, safesquid.live[kind]!);
let server: GitHttpServer;
let origin: TempHome;
let url: string;
let scratch: string;

test.before(async () => {
  server = await startGitHttpServer({ auth: { basicPasswordOnly: TOKEN } });
  ({ h: origin } = await homeWithHistory(3, { withCert: true }));
  url = await server.createRepo("offsite.git");
  await remoteAdd({ ctx: origin.ctx, name: "offsite", url, tokenEnv: "T" });
  await remotePush({ ctx: origin.ctx, env: { T: TOKEN } });
  scratch = await tempDir("confvault-resume-");
});
test.after(async () => {
  await server.close();
  await origin.cleanup();
  await fsp.rm(scratch, { recursive: true, force: true });
});

/** Runs `recover` through the CLI and SIGKILLs it once its half-made home has git objects. */
async function killedRecover(home: string, liveRoot: string): Promise<boolean> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "bin/confvault.js"),
      "--home",
      home,
      "recover",
      "--from",
      url,
      "--token-env",
      "T",
      "--live-root",
      liveRoot,
    ],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
      stdio: "ignore",
    },
  );
  const exited = new Promise((r) => child.once("exit", r));
  let done = false;
  child.once("exit", () => {
    done = true;
  });
  const marker = path.join(home, RECOVER_MARKER);
  while (!done) {
    const objects = await fsp.readdir(path.join(home, "repo.git", "objects")).catch(() => [] as string[]);
    const anyGit = objects.length > 2 || (await exists(path.join(home, "repo.git", "shallow")));
    if (anyGit && (await exists(marker))) {
      child.kill("SIGKILL");
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await exited;
  return await exists(marker);
}

test("a recover SIGKILLed while it writes leaves a marked half home; the re-run cleans it, says so, and the live files equal the original's", async () => {
  const home = path.join(scratch, "home");
  const liveRoot = path.join(scratch, "live");
  let half = false;
  for (let attempt = 0; attempt < 10 && !half; attempt++) {
    await fsp.rm(home, { recursive: true, force: true });
    half = await killedRecover(home, liveRoot);
  }
  assert.ok(half, "a recover was killed half-way (marker left)");
  const r = await cli(
    ["--home", home, "recover", "--from", url, "--token-env", "T", "--live-root", liveRoot],
    env,
  );
  assert.is(r.code, 0, r.stderr);
  assert.match(`${r.stdout}${r.stderr}`, /interrupted recover/);
  for (const kind of ["config", "cert", "key"] as const) {
    const mine = await fsp.readFile(live(liveRoot, kind));
    const theirs = await fsp.readFile(live(origin.liveRoot, kind));
    assert.ok(mine.equals(theirs), `${kind} byte-identical`);
  }
  assert.not.ok(
    await exists(path.join(home, RECOVER_MARKER)),
    "the marker is gone once the home is complete",
  );
  // A complete home is not a half-made one: a second recover is refused.
  try {
    await recover({ dir: home, from: url, liveRoot, env, tokenEnv: "T" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "HOME_EXISTS"), String(err));
  }
});

test("a foreign non-empty folder is still refused, and one with a marker of a live recover too", async () => {
  const home = path.join(scratch, "foreign");
  await fsp.mkdir(path.join(home, "state"), { recursive: true });
  await fsp.writeFile(path.join(home, "notes.txt"), "mine");
  try {
    await recover({ dir: home, from: url, liveRoot: path.join(scratch, "l2"), env, tokenEnv: "T" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "HOME_EXISTS"), String(err));
    assert.match((err as Error).message, /not a recover left half-done/);
  }
  assert.is(await fsp.readFile(path.join(home, "notes.txt"), "utf8"), "mine");
  const busy = path.join(scratch, "busy");
  await fsp.mkdir(path.join(busy, "state"), { recursive: true });
  await fsp.writeFile(path.join(busy, RECOVER_MARKER), JSON.stringify(await currentIdentity()));
  await fsp.writeFile(path.join(busy, "settings.json"), "{}");
  try {
    await recover({ dir: busy, from: url, liveRoot: path.join(scratch, "l3"), env, tokenEnv: "T" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "HOME_EXISTS"), String(err));
    assert.match((err as Error).message, /being recovered right now/);
  }
});

test.run();
