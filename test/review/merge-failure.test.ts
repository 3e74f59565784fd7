import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { resolveGithubConfig } from "../../src/review/github-config.ts";
import { initReviewRepo } from "../../src/review/init-review-repo.ts";
import { cli, dec, ROOT, tempDir } from "../helpers/temp-home.ts";
import { deliver, liveConfig, pushPayload, type ReviewRig, reviewRig, samplePath } from "./setup.ts";

let rig: ReviewRig;
let sample: Uint8Array;
let proposals = 0;

test.before(async () => {
  rig = await reviewRig();
  sample = new Uint8Array(await fsp.readFile(samplePath(ROOT)));
  await applyConfig({ ctx: rig.home.ctx, config: sample, reason: "first import", actor: "alice" });
  const github = await resolveGithubConfig(rig.home.ctx, rig.env, { token: true });
  await initReviewRepo({ ctx: rig.home.ctx, github, actor: "alice" });
});
test.after(async () => {
  await rig.cleanup();
});

/** Proposes an edited config through the CLI, merges the pull request and delivers the push. */
async function proposeMergePush(edit: (xml: string) => string): Promise<string> {
  const n = ++proposals;
  const dir = await tempDir("confvault-propose-");
  const file = path.join(dir, "config.xml");
  await fsp.writeFile(file, edit(dec(sample)));
  const out = await cli(
    ["--home", rig.home.dir, "--json", "propose", file, "-m", `change ${n}`, "--slug", `change-${n}`],
    rig.env,
  );
  assert.is(out.code, 0, out.stderr);
  const { number } = JSON.parse(out.stdout) as { number: number };
  const before = (await rig.gh.git("rev-parse", "main")).trim();
  const merged = await rig.client.rest.pulls.merge({
    owner: "acme",
    repo: "proxy-policy",
    pull_number: number,
  });
  const sha = merged.data.sha;
  const message = `Merge pull request #${number} from acme/propose/change-${n}\n\nchange ${n}`;
  assert.is((await deliver(rig, "push", pushPayload(rig.gh, sha, before, message, "carol"))).status, 202);
  await rig.events.idle();
  await fsp.rm(dir, { recursive: true, force: true });
  return sha;
}

async function hook(event: string, script: string | null): Promise<void> {
  const file = path.join(rig.home.ctx.layout.hooks, event);
  if (script === null) await fsp.rm(file, { force: true });
  else await fsp.writeFile(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
}

const statesOf = (sha: string) => rig.gh.statuses.filter((s) => s.sha === sha);

test("a merged pull request whose apply is refused by the pre-apply hook gets a failure status with the reason", async () => {
  await hook("pre-apply", 'echo "change freeze until monday" >&2; exit 3');
  const tip = await rig.home.ctx.engine.branchTip("main");
  try {
    const sha = await proposeMergePush((x) => x.replace("<ip>10.0.0.2,10.0.0.3</ip>", "<ip>10.0.0.9</ip>"));
    const statuses = statesOf(sha);
    assert.equal(
      statuses.map((s) => s.state),
      ["pending", "failure"],
    );
    assert.match(statuses[1]!.description, /^not applied: /);
    assert.match(statuses[1]!.description, /pre-apply/);
    assert.is(await rig.home.ctx.engine.branchTip("main"), tip, "nothing applied");
    assert.is(rig.events.outcomes().at(-1)!.outcome, "failed");
    assert.is(rig.logs.filter((l) => l.obj.event === "change").length, 0, "a refused apply is no change");
  } finally {
    await hook("pre-apply", null);
  }
});

test("a merged pull request whose health check fails is rolled back and gets a failure status saying so", async () => {
  await hook("health", "exit 1");
  const live = dec(await liveConfig(rig));
  try {
    const sha = await proposeMergePush((x) => x.replace("<ip>10.0.0.2,10.0.0.3</ip>", "<ip>10.0.0.7</ip>"));
    const statuses = statesOf(sha);
    assert.equal(
      statuses.map((s) => s.state),
      ["pending", "failure"],
    );
    assert.match(
      statuses[1]!.description,
      /^not applied: HEALTH_FAILED: the health hook exited with 1; rolled back/,
    );
    // The change that was made and undone is logged once, as merged, with what was put back.
    const changes = rig.logs.filter((l) => l.obj.event === "change" && l.obj.github_commit === sha);
    assert.is(changes.length, 1);
    assert.is(changes[0]!.obj.source, "merge");
    assert.is(changes[0]!.obj.actor, "carol");
    assert.match(String(changes[0]!.obj.tag), /^rp\//);
    assert.match(String(changes[0]!.obj.rolled_back_to), /^rp\//);
    assert.type(changes[0]!.obj.duration_ms, "number");
    assert.is(dec(await liveConfig(rig)), live, "the previous config is live again");
    assert.is(rig.events.outcomes().at(-1)!.outcome, "failed");
  } finally {
    await hook("health", null);
  }
});

test("a push whose commit cannot be verified for an unexpected reason still ends pending with a failure", async () => {
  // The review working copy is gone and cannot be recreated (a file where its folder belongs):
  // fetching throws after "pending" was posted.
  const gitdir = path.join(rig.home.ctx.layout.state, "github.git");
  const moved = `${gitdir}.moved`;
  await fsp.rename(gitdir, moved);
  await fsp.writeFile(gitdir, "not a repository");
  try {
    const sha = "1".repeat(40);
    const before = (await rig.gh.git("rev-parse", "main")).trim();
    assert.is((await deliver(rig, "push", pushPayload(rig.gh, sha, before, "mystery"))).status, 202);
    await rig.events.idle();
    const statuses = statesOf(sha);
    assert.equal(
      statuses.map((s) => s.state),
      ["pending", "failure"],
    );
    assert.match(statuses[1]!.description, /^not applied: /);
    assert.is(rig.events.outcomes().at(-1)!.outcome, "failed");
  } finally {
    await fsp.rm(gitdir, { force: true });
    await fsp.rename(moved, gitdir);
  }
});

test.run();
