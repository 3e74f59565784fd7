import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gitBytes, gitText, gitTry, tempDir } from "../helpers/git-cli.ts";
import { configVersion, versionOf } from "./crash-content.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const KILLS = 20;

/** Starts the writer, waits until it is committing, kills it at a random moment. */
function runAndKill(gitdir: string, delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/repo/crash-writer.ts", gitdir], {
      cwd: root,
      env: { ...process.env, CONFVAULT_CRASH_WRITER: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    const stuck = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`writer never became ready: ${stdout} ${stderr.slice(0, 2000)}`));
    }, 20_000);
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-10_000)));
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("ready")) {
        clearTimeout(stuck);
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(stuck);
      if (signal === "SIGKILL") resolve(stderr);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

test("a writer SIGKILLed at random moments never leaves a broken repository", async () => {
  const dir = tempDir("confvault-crash-");
  const gitdir = `${dir.path}/repo.git`;
  try {
    let last = -1;
    for (let round = 0; round < KILLS; round++) {
      await runAndKill(gitdir, 10 + Math.floor(Math.random() * 200));
      if (!gitTry(gitdir, "rev-parse", "--verify", "-q", "main").output.trim()) continue; // killed before the first commit
      const fsck = gitTry(gitdir, "fsck", "--strict", "--no-progress");
      assert.is(fsck.status, 0, `round ${round}: ${fsck.output}`);
      // A kill between objects and refs leaves unreferenced objects: "dangling …" is all fsck may say.
      const complaints = fsck.output
        .split("\n")
        .filter((line) => line.trim() && !line.startsWith("dangling "));
      assert.equal(complaints, [], `round ${round}`);
      assert.is(gitText(gitdir, "cat-file", "-t", "main").trim(), "commit");
      const config = gitBytes(gitdir, "show", "main:config.xml");
      const n = versionOf(config);
      assert.ok(n >= last, `round ${round}: main went back from ${last} to ${n}`);
      assert.ok(config.equals(configVersion(n)), `round ${round}: config.xml is not a written version`);
      last = n;
    }
    assert.ok(last >= 5, `the writer made progress (${last} versions)`);
    const tags = gitText(gitdir, "tag", "--list", "rp/*").trim().split("\n").length;
    assert.ok(tags >= last - KILLS, `tags were written (${tags} for ${last} versions)`);
  } finally {
    dir.cleanup();
  }
});

test.run();
