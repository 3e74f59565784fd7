import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { packageVersion } from "../../src/core/package-files.ts";
import { resolveGithubConfig } from "../../src/review/github-config.ts";
import { initReviewRepo } from "../../src/review/init-review-repo.ts";
import { cli, dec, git, ROOT, tempDir } from "../helpers/temp-home.ts";
import {
  deliver,
  liveConfig,
  pullPayload,
  pushPayload,
  type ReviewRig,
  reviewRig,
  samplePath,
  TOKEN,
} from "./setup.ts";

const SECRET_VALUE = "not-a-real-password-change-me";
const NEW_SECRET = "a-brand-new-ldap-password-42";
let rig: ReviewRig;
let sample: Uint8Array;

test.before(async () => {
  rig = await reviewRig();
  sample = new Uint8Array(await fsp.readFile(samplePath(ROOT)));
  await applyConfig({ ctx: rig.home.ctx, config: sample, reason: "first import", actor: "alice" });
  const github = await resolveGithubConfig(rig.home.ctx, rig.env, { token: true });
  const init = await initReviewRepo({ ctx: rig.home.ctx, github, actor: "alice" });
  assert.ok(init.changed);
});
test.after(async () => {
  await rig.cleanup();
});

test("github init-repo wrote the repository templates as one commit on main", async () => {
  const files = (await rig.gh.git("ls-tree", "-r", "--name-only", "main")).split("\n").sort();
  assert.equal(files, [
    ".gitattributes",
    ".github/workflows/confvault-verify.yml",
    "CODEOWNERS",
    "README.md",
    `vendor/confvault-${packageVersion()}.tgz`,
  ]);
  assert.match(await rig.gh.git("show", "main:.gitattributes"), /config\.xml -text/);
  assert.match(await rig.gh.git("show", "main:CODEOWNERS"), /@acme/);
  const workflow = await rig.gh.git("show", "main:.github/workflows/confvault-verify.yml");
  assert.match(workflow, /^\s+run: confvault verify --home "\$RUNNER_TEMP\/confvault"$/m);
  assert.not.match(workflow, /npx/);
  assert.match(await rig.gh.git("show", "main:.gitattributes"), /^vendor\/\*\.tgz binary$/m);
  // A second init-repo with the same confvault changes nothing (npm pack is byte-stable).
  const github = await resolveGithubConfig(rig.home.ctx, rig.env, { token: true });
  const again = await initReviewRepo({ ctx: rig.home.ctx, github, actor: "alice" });
  assert.is(again.changed, false);
});

test("propose → PR checked → merged → push webhook applies it on the master and posts the outcome", async () => {
  // 1. propose through the CLI, as a user would
  const edited = dec(sample)
    .replace("<ip>10.0.0.2,10.0.0.3</ip>", "<ip>10.0.0.2,10.0.0.3,10.0.0.4</ip>")
    .replace(SECRET_VALUE, NEW_SECRET);
  const dir = await tempDir("confvault-propose-");
  const file = path.join(dir, "config.xml");
  await fsp.writeFile(file, edited);
  const out = await cli(
    [
      "--home",
      rig.home.dir,
      "--json",
      "--actor",
      "bob",
      "propose",
      file,
      "-m",
      "add the third load balancer",
      "--slug",
      "lb3",
    ],
    rig.env,
  );
  assert.is(out.code, 0, out.stderr);
  const proposed = JSON.parse(out.stdout);
  assert.is(proposed.branch, "propose/lb3");
  assert.is(proposed.number, 1);
  assert.match(proposed.url, /\/pull\/1$/);
  assert.not.match(out.stderr + out.stdout, new RegExp(TOKEN), "the token is never printed");

  // the branch is real git on the server, its commit sits on top of main, no secret in any object
  assert.is((await rig.gh.git("rev-parse", "refs/heads/propose/lb3")).trim(), proposed.commit);
  assert.is(
    (await rig.gh.git("rev-parse", `${proposed.commit}^`)).trim(),
    (await rig.gh.git("rev-parse", "main")).trim(),
  );
  const branchFiles = (await rig.gh.git("ls-tree", "-r", "--name-only", proposed.commit)).split("\n");
  for (const f of ["config.xml", "secrets.sealed.age", "manifest.json", "README.md"])
    assert.ok(branchFiles.includes(f), f);
  const everything = await rig.gh.git("log", "--all", "-p", "--binary", "--", ".", ":(exclude)vendor");
  assert.not.ok(everything.includes(NEW_SECRET), "the new secret is sealed");
  assert.not.ok(everything.includes(SECRET_VALUE), "the old secret is sealed");

  // the pull request body: reason, policy diff, secret changed without the value, unified diff folded
  const pr = rig.gh.pulls[0]!;
  assert.is(pr.title, "policy: add the third load balancer");
  assert.is(pr.head.ref, "propose/lb3");
  assert.match(pr.body, /\*\*Reason:\*\* add the third load balancer/);
  assert.match(
    pr.body,
    /~ access\/allow\[id=1\]\/ip: "10\.0\.0\.2,10\.0\.0\.3" → "10\.0\.0\.2,10\.0\.0\.3,10\.0\.0\.4"/,
  );
  assert.match(pr.body, /ldappassword: secret changed/);
  assert.match(pr.body, /<details>\n<summary>Unified diff of config\.xml/);
  assert.match(pr.body, /```diff\n--- rp\//);
  assert.match(pr.body, /### Certificate\n\nnone/);
  assert.match(pr.body, /leak guard/);
  assert.not.ok(
    pr.body.includes(NEW_SECRET) || pr.body.includes(SECRET_VALUE),
    "no secret value in the body",
  );
  assert.is(
    await rig.home.ctx.engine.branchTip("main"),
    (await listRestorePoints({ ctx: rig.home.ctx }))[0]!.commit,
  );

  // 2. pull_request opened, then synchronize: one comment, updated; a success status on the head
  assert.is((await deliver(rig, "pull_request", pullPayload(rig.gh, 1, "opened"))).status, 202);
  await rig.events.idle();
  assert.is(rig.gh.comments.length, 1);
  const comment = rig.gh.comments[0]!;
  assert.match(comment.body, /^<!-- confvault -->/);
  assert.match(comment.body, /confvault check: ✅ valid/);
  assert.match(comment.body, /manifest hashes/);
  assert.match(comment.body, /seal opened/);
  assert.match(comment.body, /ldappassword: secret changed/);
  assert.not.ok(comment.body.includes(NEW_SECRET));
  assert.is((await deliver(rig, "pull_request", pullPayload(rig.gh, 1, "synchronize"))).status, 202);
  await rig.events.idle();
  assert.is(rig.gh.comments.length, 1, "the comment is updated, not duplicated");
  assert.is(comment.updates, 1);
  const headStatuses = rig.gh.statuses.filter((s) => s.sha === proposed.commit);
  assert.is(headStatuses.at(-1)?.state, "success");
  assert.is(headStatuses.at(-1)?.context, "confvault");

  // 3. merge on the server (a real git merge commit), then the push webhook
  const before = (await rig.gh.git("rev-parse", "main")).trim();
  const res = await rig.client.rest.pulls.merge({ owner: "acme", repo: "proxy-policy", pull_number: 1 });
  assert.ok(res.data.merged);
  const mergeSha = res.data.sha;
  assert.is((await rig.gh.git("rev-parse", "main")).trim(), mergeSha);
  const closed = pullPayload(rig.gh, 1, "closed", true);
  assert.is(
    (await deliver(rig, "pull_request", closed)).status,
    202,
    "a closed+merged PR event is accepted and ignored",
  );
  const push = pushPayload(
    rig.gh,
    mergeSha,
    before,
    `Merge pull request #1 from acme/propose/lb3\n\nadd the third load balancer`,
    "carol",
  );
  const accepted = await deliver(rig, "push", push);
  assert.is(accepted.status, 202);
  await rig.events.idle();

  // 4. the master applied it: live file, a new restore point with the PR as reason and the pusher as actor
  assert.equal(
    dec(await liveConfig(rig)),
    edited,
    "the live config.xml is the proposed one, secrets in place",
  );
  const [latest] = await listRestorePoints({ ctx: rig.home.ctx });
  assert.is(latest!.source, "merge");
  assert.is(latest!.actor, "carol");
  assert.is(latest!.reason, "policy: add the third load balancer (#1)");
  const msg = await git(rig.home.ctx.layout.gitdir, "log", "-1", "--format=%B", latest!.commit);
  assert.match(msg, new RegExp(`Confvault-Source-Commit: ${mergeSha}`));
  assert.match(msg, /Confvault-Pull-Request: acme\/proxy-policy#1/);
  const changes = rig.logs.filter((l) => l.obj.event === "change");
  assert.is(changes.length, 1, "the merge is logged once as a change");
  assert.equal(
    { ...changes[0]!.obj, duration_ms: 0 },
    {
      event: "change",
      source: "merge",
      tag: latest!.tag,
      commit: latest!.commit,
      actor: "carol",
      duration_ms: 0,
      github_commit: mergeSha,
      pull_request: 1,
    },
  );
  assert.not.match(JSON.stringify(rig.logs), new RegExp(TOKEN), "the GitHub token is never logged");
  const outcome = rig.events.outcomes().at(-1)!;
  assert.is(outcome.outcome, "applied");
  assert.is(outcome.tag, latest!.tag);

  // 5. the commit status of the merge commit says so
  const mergeStatuses = rig.gh.statuses.filter((s) => s.sha === mergeSha);
  assert.equal(
    mergeStatuses.map((s) => s.state),
    ["pending", "success"],
  );
  assert.is(mergeStatuses[1]!.description, `${latest!.tag}: applied on 1/1 node`);
  await fsp.rm(dir, { recursive: true, force: true });
});

test("a direct push that edits config.xml outside confvault is verified, refused and not applied", async () => {
  const tip = await rig.home.ctx.engine.branchTip("main");
  const work = await tempDir("confvault-direct-");
  const env = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
  const { execFile } = await import("node:child_process");
  const sh = (args: string[], cwd = work) =>
    new Promise<string>((resolve, reject) =>
      execFile("git", args, { cwd, env: { ...process.env, ...env } }, (e, so, se) =>
        e ? reject(new Error(se)) : resolve(so),
      ),
    );
  const url = rig.gh.gitUrl.replace("http://", `http://x:${TOKEN}@`);
  await sh(["clone", "--quiet", url, "c"]);
  const c = path.join(work, "c");
  const cfg = path.join(c, "config.xml");
  await fsp.writeFile(
    cfg,
    (await fsp.readFile(cfg, "utf8")).replace("<policy>DENY</policy>", "<policy>ALLOW</policy>"),
  );
  await sh(
    ["-c", "user.name=mallory", "-c", "user.email=m@example.com", "commit", "-q", "-am", "open everything"],
    c,
  );
  const before = (await rig.gh.git("rev-parse", "main")).trim();
  await sh(["push", "-q", "origin", "main"], c);
  const sha = (await rig.gh.git("rev-parse", "main")).trim();
  assert.is(
    (await deliver(rig, "push", pushPayload(rig.gh, sha, before, "open everything", "mallory"))).status,
    202,
  );
  await rig.events.idle();
  assert.is(await rig.home.ctx.engine.branchTip("main"), tip, "nothing applied");
  assert.not.match(dec(await liveConfig(rig)), /<policy>ALLOW<\/policy>/);
  const last = rig.gh.statuses.filter((s) => s.sha === sha).at(-1)!;
  assert.is(last.state, "failure");
  assert.match(last.description, /^not applied: config\.xml does not match manifest\.json/);
  assert.is(rig.events.outcomes().at(-1)!.outcome, "refused");
  await fsp.rm(work, { recursive: true, force: true });
});

test.run();
