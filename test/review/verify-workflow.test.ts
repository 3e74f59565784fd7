// Runs the GitHub Actions workflow that `github init-repo` writes, step by step, on a detached
// shallow clone as actions/checkout leaves it (act is not available): the same commands, in the
// same order, with GITHUB_WORKSPACE, RUNNER_TEMP and GITHUB_PATH as a runner sets them.
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { resolveGithubConfig } from "../../src/review/github-config.ts";
import { initReviewRepo } from "../../src/review/init-review-repo.ts";
import { cli, dec, ROOT, TEST_KEY, tempDir } from "../helpers/temp-home.ts";
import { type ReviewRig, reviewRig, samplePath, TOKEN } from "./setup.ts";

const run = promisify(execFile);
/** YAML → JSON through PyYAML (no YAML parser among the project's dependencies). */
const yamlToJson = async (text: string): Promise<unknown> =>
  await new Promise((resolve, reject) => {
    const child = spawn("python3", [
      "-c",
      "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
    ]);
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(err))));
    child.stdin.end(text);
  });
const haveYaml = await yamlToJson("a: 1").then(
  () => true,
  () => false,
);
const maybe = haveYaml ? test : test.skip;
if (!haveYaml) console.log("python3 with PyYAML is missing: the workflow is not run locally");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

let rig: ReviewRig;
let workflowText = "";
let steps: Step[] = [];
let head = "";

test.before(async () => {
  rig = await reviewRig();
  const sample = await fsp.readFile(samplePath(ROOT));
  await applyConfig({ ctx: rig.home.ctx, config: sample, reason: "first import", actor: "alice" });
  const github = await resolveGithubConfig(rig.home.ctx, rig.env, { token: true });
  await initReviewRepo({ ctx: rig.home.ctx, github, actor: "alice" });
  workflowText = await rig.gh.git("show", "main:.github/workflows/confvault-verify.yml");
  if (haveYaml) {
    const parsed = (await yamlToJson(workflowText)) as { jobs: { verify: { steps: Step[] } } };
    steps = parsed.jobs.verify.steps;
  }
  // A proposed change, as `confvault propose` pushes it: the pull request's head.
  const dir = await tempDir("confvault-propose-");
  const file = path.join(dir, "config.xml");
  await fsp.writeFile(file, dec(sample).replace("<ip>10.0.0.2,10.0.0.3</ip>", "<ip>10.0.0.5</ip>"));
  const out = await cli(
    ["--home", rig.home.dir, "--json", "propose", file, "-m", "one load balancer", "--slug", "lb"],
    rig.env,
  );
  assert.is(out.code, 0, out.stderr);
  head = (JSON.parse(out.stdout) as { commit: string }).commit;
});
test.after(async () => {
  await rig.cleanup();
});

/** What actions/checkout@v4 leaves for `ref: <sha>`, `fetch-depth: 1`: one commit, detached, no branch. */
async function checkout(workspace: string, sha: string): Promise<void> {
  const url = rig.gh.gitUrl.replace("http://", `http://x:${TOKEN}@`);
  const git = (...args: string[]) => run("git", args, { cwd: workspace });
  await run("git", ["clone", "--quiet", "--depth", "1", "--branch", "propose/lb", url, workspace]);
  await git("checkout", "--quiet", "--detach", sha);
  await git("branch", "-D", "propose/lb");
  await git("remote", "remove", "origin");
  assert.is((await git("rev-parse", "--is-shallow-repository")).stdout.trim(), "true");
  assert.is((await git("for-each-ref", "refs/heads")).stdout.trim(), "", "no branch at all");
}

/** Runs one `run:` step as a runner does (bash -e, pipefail), with the step's env and $GITHUB_PATH. */
async function runStep(step: Step, runner: RunnerEnv): Promise<{ code: number; output: string }> {
  const expand = (s: string) =>
    s.replace(/\$\{\{\s*secrets\.CONFVAULT_ACTIVATION_KEY\s*\}\}/g, TEST_KEY).replace(/\$\{\{[^}]*\}\}/g, "");
  const added = (await fsp.readFile(runner.githubPath, "utf8").catch(() => ""))
    .split("\n")
    .filter((l) => l.trim() !== "")
    .reverse();
  const env: Record<string, string> = {
    // A runner's PATH: the system and Node (setup-node), nothing of this checkout's node_modules.
    PATH: [...added, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: runner.home,
    GITHUB_WORKSPACE: runner.workspace,
    RUNNER_TEMP: runner.temp,
    GITHUB_PATH: runner.githubPath,
    CI: "true",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expand(v);
  return await new Promise((resolve) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step.run!)], {
      cwd: runner.workspace,
      env,
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

interface RunnerEnv {
  workspace: string;
  temp: string;
  home: string;
  githubPath: string;
}

async function runner(): Promise<RunnerEnv> {
  const base = await tempDir("confvault-runner-");
  const r = {
    workspace: path.join(base, "work"),
    temp: path.join(base, "temp"),
    home: path.join(base, "home"),
    githubPath: path.join(base, "github_path"),
  };
  await fsp.mkdir(r.temp, { recursive: true });
  await fsp.mkdir(r.home, { recursive: true });
  await fsp.writeFile(r.githubPath, "");
  return r;
}

test("the workflow installs no registry name: only the tarball it pins by SHA-256, committed beside it", async () => {
  assert.not.match(workflowText, /npx/);
  const tarball = /"([0-9a-f]{64}) {2}(vendor\/confvault-[0-9][^"]*\.tgz)"/.exec(workflowText);
  assert.ok(tarball, workflowText);
  const [, sha256, file] = tarball!;
  const bytes = await run("git", ["--git-dir", rig.gh.gitdir, "cat-file", "blob", `main:${file}`], {
    encoding: "buffer",
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.is(createHash("sha256").update(bytes.stdout).digest("hex"), sha256);
  const install = workflowText.split("\n").filter((l) => /npm (install|i|ci)\b/.test(l));
  assert.is(install.length, 1);
  assert.match(install[0]!, /--ignore-scripts/);
  assert.match(install[0]!, new RegExp(`"\\$GITHUB_WORKSPACE/${file!.replace(/\./g, "\\.")}"$`));
});

maybe(
  "the workflow's steps pass, in order, on the detached shallow checkout of a proposed change",
  async () => {
    const r = await runner();
    const names: string[] = [];
    for (const step of steps) {
      names.push(step.name ?? step.uses ?? "?");
      if (step.uses?.startsWith("actions/checkout@")) {
        assert.is(step.with?.["fetch-depth"], 1);
        await checkout(r.workspace, head);
        continue;
      }
      if (step.uses?.startsWith("actions/setup-node@")) {
        assert.is(String(step.with?.["node-version"]), process.versions.node.split(".")[0]);
        continue;
      }
      assert.ok(step.run, `step ${step.name ?? step.uses} is neither a known action nor a run step`);
      const result = await runStep(step, r);
      assert.is(result.code, 0, `step "${step.name}" failed:\n${result.output}`);
      if (step.name === "confvault verify") {
        assert.match(result.output, /^ok\s+main \(manifest hashes, seal opened/m);
        assert.match(result.output, /verified 1 restore point/);
      }
    }
    assert.ok(names.length >= 6, names.join(", "));
    // The scratch home holds the proposed config, from the installed tarball's confvault.
    const installed = path.join(r.temp, "confvault-cli/node_modules/.bin/confvault");
    assert.ok(await fsp.stat(installed).then(() => true), "confvault was installed from the tarball");
    assert.ok(
      (
        await fsp.readFile(path.join(r.temp, "live/usr/local/safesquid/security/policies/config.xml"), "utf8")
      ).includes("<ip>10.0.0.5</ip>"),
    );
  },
);

maybe("a tampered tarball is refused before anything is installed", async () => {
  const r = await runner();
  await checkout(r.workspace, head);
  const file = /"[0-9a-f]{64} {2}(vendor\/[^"]+)"/.exec(workflowText)![1]!;
  await fsp.appendFile(path.join(r.workspace, file), "x");
  const install = steps.find((s) => s.run?.includes("npm install"))!;
  const result = await runStep(install, r);
  assert.is.not(result.code, 0);
  assert.match(result.output, /FAILED/);
  assert.not.ok(
    await fsp.stat(path.join(r.temp, "confvault-cli")).then(
      () => true,
      () => false,
    ),
  );
});

maybe(
  "without naming the detached HEAD main, recover finds no main branch (why the step is there)",
  async () => {
    const r = await runner();
    await checkout(r.workspace, head);
    const at = steps.findIndex((s) => s.run?.includes("update-ref refs/heads/main HEAD"));
    assert.ok(at > 0);
    for (const step of steps.slice(0, at)) if (step.run) assert.is((await runStep(step, r)).code, 0);
    const recover = steps.find((s) => s.run?.includes("confvault recover"))!;
    const result = await runStep(recover, r);
    assert.is.not(result.code, 0);
    assert.match(result.output, /has no main branch/);
  },
);

test.run();
