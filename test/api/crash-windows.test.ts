import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { verify } from "../../src/api/verify.ts";
import { openSnapshot } from "../../src/core/read-snapshot.ts";
import { openHome } from "../../src/home/open-home.ts";
import { cli, cliError, dec, enc, git, ROOT, type TempHome, tempHome } from "../helpers/temp-home.ts";

// The rule (README "Safety"): the live files follow the tip of main. Each case kills a real CLI
// process with SIGKILL at one of the moments a ref or a file moves (CONFVAULT_FAILPOINT, see
// src/repo/failpoint.ts), runs the next command, and checks: the tip is tagged, the live files
// equal the tip, `git fsck --strict` is clean, every restore point still opens.
const test = suite("crash windows");

const LIVE_POINTS = [
  "journal-written",
  "before-refs",
  "ref-renamed",
  "refs-moved",
  "live-file-renamed",
  "live-renamed",
];

async function sample(): Promise<string> {
  return await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
}

function variant(base: string, n: number): Uint8Array {
  return enc(
    base.replace("</access>", `<allow id="${9000 + n}"><comment>crash ${n}</comment></allow></access>`),
  );
}

/** Runs the CLI with a crash point; resolves with how it ended. */
async function killedAt(point: string, args: string[], env: Record<string, string>) {
  return await new Promise<{ signal: string | null; code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin/confvault.js"), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: "1",
        ...env,
        CONFVAULT_FAILPOINT: point,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.once("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** The bundled sample as the home's first restore point (through the CLI); the file later applies reuse. */
async function firstPoint(h: TempHome): Promise<{ base: string; file: string }> {
  const base = await sample();
  const file = path.join(h.dir, "..", "next.xml");
  await fsp.writeFile(file, variant(base, 0));
  assert.is((await cli(["--home", h.dir, "apply", "-m", "first", file], h.env)).code, 0);
  return { base, file };
}

async function liveFollowsTip(h: TempHome, env: Record<string, string>, label: string) {
  const gitdir = h.ctx.layout.gitdir;
  await git(gitdir, "fsck", "--strict", "--no-progress");
  const tip = (await git(gitdir, "rev-parse", "refs/heads/main")).trim();
  const tags = (await git(gitdir, "tag", "--points-at", tip, "-l", "rp/*")).trim();
  assert.ok(tags.length > 0, `${label}: the tip ${tip.slice(0, 12)} has no restore-point tag`);
  // No tag off main: every rp/ tag's commit is on main.
  const onMain = new Set((await git(gitdir, "rev-list", "refs/heads/main")).trim().split("\n"));
  for (const line of (await git(gitdir, "for-each-ref", "--format=%(*objectname) %(refname)", "refs/tags/rp"))
    .trim()
    .split("\n"))
    assert.ok(onMain.has(line.split(" ")[0]!), `${label}: ${line.split(" ")[1]} is not on main`);
  const ctx = await openHome({ dir: h.dir, env });
  const snap = await openSnapshot(ctx, tip);
  const live = new Uint8Array(await fsp.readFile(ctx.live("config")!));
  assert.ok(Buffer.compare(live, snap.config) === 0, `${label}: the live config is not the tip's`);
  const journal = await fsp.stat(path.join(h.dir, "state", "change-in-flight.json")).catch(() => undefined);
  assert.is(journal, undefined, `${label}: the journal is left`);
}

async function allOpen(h: TempHome, env: Record<string, string>) {
  const result = await verify({ ctx: await openHome({ dir: h.dir, env }) });
  assert.ok(result.ok, JSON.stringify(result.points.filter((p: { ok: boolean }) => !p.ok)));
}

test("apply killed at every ref and file move, then re-run or captured: live files follow a tagged tip", async () => {
  const h = await tempHome();
  try {
    const { base, file } = await firstPoint(h);
    let n = 1;
    let lastLive = 0;
    for (const round of [0, 1]) {
      for (const point of LIVE_POINTS) {
        await fsp.writeFile(file, variant(base, n++));
        const run = await killedAt(point, ["--home", h.dir, "apply", "-m", `r${n}`, file], h.env);
        assert.is(run.signal, "SIGKILL", `${point}: the process was not killed there (${run.stderr})`);
        // Round 0: the same apply again (used to say "no change" and leave the live file old);
        // round 1: capture (used to record the stale live file as a revert).
        const next =
          round === 0
            ? await cli(["--home", h.dir, "--json", "apply", "-m", "again", file], h.env)
            : await cli(["--home", h.dir, "--json", "capture"], h.env);
        assert.is(next.code, 0, `${point}: ${next.stderr}`);
        if (round === 1)
          assert.is(
            JSON.parse(next.stdout).changed,
            false,
            `${point}: capture recorded the interrupted apply as a change`,
          );
        await liveFollowsTip(h, h.env, `apply/${point}/${round}`);
        const live = dec(new Uint8Array(await fsp.readFile(h.ctx.live("config")!)));
        // A kill before main moved undoes that apply; after, it stands. Re-run, it is live either way.
        const landed = !["journal-written", "before-refs", "ref-renamed"].includes(point);
        const expected = round === 0 || landed ? n - 1 : lastLive;
        lastLive = expected;
        assert.ok(live.includes(`crash ${expected}<`), `${point}/${round}: live is not crash ${expected}`);
      }
    }
    await allOpen(h, h.env);
  } finally {
    await h.cleanup();
  }
});

test("apply killed the moment refs/heads/main changes (polled from outside), ten times", async () => {
  const h = await tempHome();
  try {
    const { base, file } = await firstPoint(h);
    const ref = path.join(h.ctx.layout.gitdir, "refs/heads/main");
    for (let i = 1; i <= 10; i++) {
      await fsp.writeFile(file, variant(base, i));
      const before = await fsp.readFile(ref, "utf8");
      const child = spawn(
        process.execPath,
        [path.join(ROOT, "bin/confvault.js"), "--home", h.dir, "apply", "-m", `p${i}`, file],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, ...h.env },
          stdio: "ignore",
        },
      );
      const exited = new Promise((r) => child.once("exit", r));
      let gone = false;
      child.once("exit", () => {
        gone = true;
      });
      while (!gone && (await fsp.readFile(ref, "utf8").catch(() => before)) === before) {}
      child.kill("SIGKILL");
      await exited;
      const next = await cli(["--home", h.dir, "apply", "-m", "again", file], h.env);
      assert.is(next.code, 0, next.stderr);
      await liveFollowsTip(h, h.env, `poll ${i}`);
    }
    await allOpen(h, h.env);
  } finally {
    await h.cleanup();
  }
});

test("restore and rollback killed at every ref and file move: the next command finishes or undoes them", async () => {
  const h = await tempHome();
  try {
    const base = await sample();
    const file = path.join(h.dir, "..", "next.xml");
    for (let i = 0; i < 3; i++) {
      await fsp.writeFile(file, variant(base, i));
      assert.is((await cli(["--home", h.dir, "apply", "-m", `p${i}`, file], h.env)).code, 0);
    }
    const first = (await git(h.ctx.layout.gitdir, "rev-list", "--max-parents=0", "refs/heads/main")).trim();
    for (const point of LIVE_POINTS) {
      for (const args of [
        ["restore", first, "-m", `restore at ${point}`],
        ["rollback", "-m", `rollback at ${point}`],
      ]) {
        const run = await killedAt(point, ["--home", h.dir, ...args], h.env);
        assert.is(run.signal, "SIGKILL", `${args[0]}/${point}: not killed there (${run.stderr})`);
        const next = await cli(["--home", h.dir, "--json", "capture"], h.env);
        assert.is(next.code, 0, next.stderr);
        assert.is(
          JSON.parse(next.stdout).changed,
          false,
          `${args[0]}/${point}: capture took the stale live file`,
        );
        await liveFollowsTip(h, h.env, `${args[0]}/${point}`);
      }
    }
    await allOpen(h, h.env);
  } finally {
    await h.cleanup();
  }
});

test("keys rotate killed before and after its commit: the next command finishes or undoes it, every point opens", async () => {
  // The key lives in the home (no CONFVAULT_ACTIVATION_KEY), so rotate installs it there.
  const h = await tempHome({ keyFromEnv: false });
  const env = {};
  try {
    const base = await sample();
    const file = path.join(h.dir, "..", "next.xml");
    let n = 0;
    for (const point of ["journal-written", "before-refs", "ref-renamed", "refs-moved"]) {
      await fsp.writeFile(file, variant(base, n++));
      assert.is((await cli(["--home", h.dir, "apply", "-m", `before ${point}`, file], env)).code, 0);
      const keyFile = path.join(h.dir, "..", `key-${point}`);
      await fsp.writeFile(keyFile, `rotated-key-${point}-0123456789abcdef\n`, { mode: 0o600 });
      const run = await killedAt(point, ["--home", h.dir, "keys", "rotate", "--new-key-file", keyFile], env);
      assert.is(run.signal, "SIGKILL", `${point}: not killed there (${run.stderr})`);
      // The next write works with whichever key the repair left installed (no WRONG_KEY) …
      await fsp.writeFile(file, variant(base, n++));
      const next = await cli(["--home", h.dir, "--json", "apply", "-m", `after ${point}`, file], env);
      assert.is(next.code, 0, `${point}: ${next.stderr}`);
      await liveFollowsTip(h, env, `rotate/${point}`);
      // … and every older restore point opens with it.
      await allOpen(h, env);
    }
  } finally {
    await h.cleanup();
  }
});

test("a live file that cannot be written: no restore point is left, the error says why, the next apply works", async () => {
  const h = await tempHome();
  try {
    const { base, file } = await firstPoint(h);
    const gitdir = h.ctx.layout.gitdir;
    const tip = (await git(gitdir, "rev-parse", "refs/heads/main")).trim();
    const tags = await git(gitdir, "tag", "-l", "rp/*");
    const livePath = h.ctx.live("config")!;
    const liveBefore = await fsp.readFile(livePath);

    // The rename over the live file fails after the refs moved (a folder where the file was):
    // the restore point is undone.
    await fsp.rm(livePath);
    await fsp.mkdir(livePath);
    await fsp.writeFile(path.join(livePath, "keep"), "x");
    await fsp.writeFile(file, variant(base, 1));
    const failed = await cli(["--home", h.dir, "--json", "apply", "-m", "blocked", file], h.env);
    assert.is.not(failed.code, 0);
    assert.is(cliError(failed).code, "LIVE_WRITE_FAILED");
    assert.is((await git(gitdir, "rev-parse", "refs/heads/main")).trim(), tip, "main moved back");
    assert.is(await git(gitdir, "tag", "-l", "rp/*"), tags, "no new restore point");

    // The live folder is not a folder at all: staging fails before anything is committed.
    await fsp.rm(livePath, { recursive: true });
    const dir = path.dirname(livePath);
    await fsp.rm(dir, { recursive: true });
    await fsp.writeFile(dir, "not a folder");
    const staged = await cli(["--home", h.dir, "--json", "apply", "-m", "blocked", file], h.env);
    assert.is(cliError(staged).code, "LIVE_WRITE_FAILED");
    assert.is((await git(gitdir, "rev-parse", "refs/heads/main")).trim(), tip);
    assert.is(await git(gitdir, "tag", "-l", "rp/*"), tags);

    await fsp.rm(dir);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(livePath, liveBefore);
    assert.is((await cli(["--home", h.dir, "apply", "-m", "fixed", file], h.env)).code, 0);
    await liveFollowsTip(h, h.env, "after the fix");
    await git(gitdir, "fsck", "--strict", "--no-progress");
  } finally {
    await h.cleanup();
  }
});

test("an apply under a wrong activation key is refused with WRONG_KEY and writes nothing", async () => {
  const h = await tempHome();
  try {
    const { base, file } = await firstPoint(h);
    await fsp.writeFile(file, variant(base, 9));
    assert.is((await cli(["--home", h.dir, "apply", "-m", "p9", file], h.env)).code, 0);
    const gitdir = h.ctx.layout.gitdir;
    const tip = (await git(gitdir, "rev-parse", "refs/heads/main")).trim();
    const live = await fsp.readFile(h.ctx.live("config")!);
    await fsp.writeFile(file, variant(base, 1));
    const wrong = { CONFVAULT_ACTIVATION_KEY: "some-other-key-0123456789abcdef" };
    for (const args of [["apply", "-m", "wrong", file], ["capture"], ["rollback", "-m", "x"]]) {
      if (args[0] === "capture") await fsp.writeFile(h.ctx.live("config")!, variant(base, 2));
      const r = await cli(["--home", h.dir, "--json", ...args], wrong);
      assert.is.not(r.code, 0, `${args[0]} under a wrong key succeeded`);
      assert.is(cliError(r).code, "WRONG_KEY", r.stderr);
      assert.is((await git(gitdir, "rev-parse", "refs/heads/main")).trim(), tip, `${args[0]}: main moved`);
    }
    await fsp.writeFile(h.ctx.live("config")!, live);
    const show = await cli(["--home", h.dir, "show", "main"], h.env);
    assert.is(show.code, 0, show.stderr);
  } finally {
    await h.cleanup();
  }
});

test.run();
