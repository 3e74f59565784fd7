import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { acquireHomeLock, currentIdentity } from "../../src/home/home-lock.ts";
import { ROOT, tempDir } from "../helpers/temp-home.ts";

const HOLDER = path.join(ROOT, "test/home/lock-holder.ts");

function unshareWorks(): boolean {
  try {
    execFileSync("unshare", ["-p", "-f", "--mount-proc", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Starts the holder as PID 1 of a fresh pid namespace; resolves with its first output line. */
function startAsPid1(home: string, mode: string): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(
    "unshare",
    ["-p", "-f", "--mount-proc", "--kill-child", process.execPath, "--import", "tsx", HOLDER, home, mode],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (c) => {
      out += c;
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.on("exit", (code) => reject(new Error(`holder exited ${code} before printing`)));
  });
  return { child, line };
}

test("a node that was PID 1 in a container and got SIGKILLed does not keep the home locked for the next PID 1", async () => {
  if (!unshareWorks()) {
    console.log("SKIP: unshare -p -f --mount-proc is not available here (needs root / user namespaces)");
    return;
  }
  const home = await tempDir();
  try {
    const first = startAsPid1(home, "hold");
    const held = JSON.parse(await first.line);
    assert.is(held.pid, 1);
    assert.ok(held.recorded.startTime, "start time recorded");
    assert.ok(held.recorded.bootId, "boot id recorded");
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    const stale = await fsp.readFile(path.join(home, "state", "write.lock"), "utf8");
    assert.is(JSON.parse(stale).pid, 1, "the killed PID 1 left its lock behind");

    const second = startAsPid1(home, "once");
    const took = JSON.parse(await second.line);
    assert.is(took.pid, 1);
    assert.is.not(took.recorded.startTime, held.recorded.startTime);
    assert.equal(took.warnings, ["took over a stale home lock"]);
    await new Promise((r) => second.child.once("exit", r));
  } finally {
    await fsp.rm(home, { recursive: true, force: true });
  }
});

test("a lock written under another boot id is taken over and logged, even from another hostname", async () => {
  const home = await tempDir();
  try {
    const me = await currentIdentity();
    if (!me.bootId) {
      console.log("SKIP: no /proc boot id on this platform");
      return;
    }
    const lockPath = path.join(home, "state", "write.lock");
    await fsp.mkdir(path.dirname(lockPath), { recursive: true });
    await fsp.writeFile(
      lockPath,
      JSON.stringify({
        pid: process.pid,
        host: "old-name",
        bootId: "00000000-dead-beef-0000-000000000000",
        startTime: "1",
      }),
    );
    const logged: unknown[] = [];
    const lock = await acquireHomeLock(home, {
      waitMs: 500,
      logger: { warn: (f, m) => logged.push([m, f]) },
    });
    const now = JSON.parse(await fsp.readFile(lockPath, "utf8"));
    assert.is(now.bootId, me.bootId);
    assert.is(logged.length, 1);
    await lock.release();
    await assert.not.throws(() =>
      fsp
        .access(lockPath)
        .then(() => assert.unreachable("lock file left"))
        .catch(() => {}),
    );
  } finally {
    await fsp.rm(home, { recursive: true, force: true });
  }
});

test("a live holder with the same start time keeps the lock: LOCKED after the wait", async () => {
  const home = await tempDir();
  try {
    const lock = await acquireHomeLock(home, { waitMs: 100 });
    try {
      await acquireHomeLock(home, { waitMs: 100 });
      assert.unreachable("second acquire should fail");
    } catch (err) {
      assert.is((err as { code?: string }).code, "LOCKED");
    }
    await lock.release();
  } finally {
    await fsp.rm(home, { recursive: true, force: true });
  }
});

test("ten contenders on one stale lock: exactly one holds it at a time", async () => {
  const home = await tempDir();
  try {
    const lockPath = path.join(home, "state", "write.lock");
    await fsp.mkdir(path.dirname(lockPath), { recursive: true });
    await fsp.writeFile(lockPath, JSON.stringify({ pid: 999_999_99, host: "x", bootId: "other-boot" }));
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const lock = await acquireHomeLock(home, { waitMs: 10_000 });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
        await lock.release();
      }),
    );
    assert.is(maxInside, 1);
  } finally {
    await fsp.rm(home, { recursive: true, force: true });
  }
});

test.run();
