// End to end across processes: a master `serve` with GitHub settings and a slave `serve`.
// propose (CLI) → pull request on the local GitHub → merge (real git) → signed push webhook to the
// master's real HTTP endpoint → master applies → the slave process has the merged restore point,
// its own hostname kept → the commit status says "applied on 2/2 nodes".
import { promises as fsp } from "node:fs";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startFakeGithub } from "../helpers/fake-github.ts";
import { ROOT, tempDir } from "../helpers/temp-home.ts";
import { freePort, NodeProcess } from "../sync/processes.ts";
import { pushPayload, SECRET, TOKEN } from "./setup.ts";

const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");

/** The `{"event":"change"}` JSON lines a serve process logged. */
function changes(p: NodeProcess): Array<Record<string, unknown>> {
  return p.log.split("\n").flatMap((line) => {
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      return o.event === "change" ? [o] : [];
    } catch {
      return [];
    }
  });
}

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a merged pull request reaches the slaves: propose → merge → push webhook → master → slave process", async () => {
  const base = await tempDir("confvault-review-cluster-");
  const gh = await startFakeGithub({ owner: "acme", repo: "proxy-policy", token: TOKEN });
  const master = new NodeProcess(
    "m1",
    path.join(base, "m1"),
    path.join(base, "m1-live"),
    "review-master-key-0123456789",
    await freePort(),
  );
  const slave = new NodeProcess(
    "s1",
    path.join(base, "s1"),
    path.join(base, "s1-live"),
    "review-slave-key-0123456789",
    await freePort(),
  );
  master.extraEnv = {
    CONFVAULT_GITHUB_TOKEN: TOKEN,
    CONFVAULT_GITHUB_WEBHOOK_SECRET: SECRET,
    CONFVAULT_LOG_LEVEL: "info",
  };
  slave.extraEnv = { CONFVAULT_LOG_LEVEL: "info" };
  try {
    assert.is(
      (
        await master.cli([
          "init",
          "--role",
          "master",
          "--no-tls",
          "--node",
          "m1",
          "--cluster",
          "lab",
          "--live-root",
          master.liveRoot,
        ])
      ).code,
      0,
    );
    await master.patchSettings((s) => {
      s.github = {
        owner: "acme",
        repo: "proxy-policy",
        apiUrl: gh.apiUrl,
        gitUrl: gh.gitUrl,
        syncWaitMs: 15_000,
      };
    });
    const samplePath = path.join(base, "sample.xml");
    await fsp.writeFile(samplePath, SAMPLE);
    assert.is((await master.cli(["apply", samplePath, "-m", "first import"])).code, 0);
    const init = await master.cli(["github", "init-repo"]);
    assert.is(init.code, 0, init.stderr);
    await master.start();
    const token = JSON.parse((await master.cli(["--json", "cluster", "join-token"])).stdout).token as string;
    await fsp.mkdir(path.dirname(slave.livePath()), { recursive: true });
    await fsp.writeFile(
      slave.livePath(),
      SAMPLE.replace("proxy-a.example.internal", "proxy-s1.example.internal"),
    );
    const joined = await slave.cli([
      "init",
      "--role",
      "slave",
      "--insecure-http",
      "--node",
      "s1",
      "--live-root",
      slave.liveRoot,
      "--master",
      master.url,
      "--url",
      slave.url,
      "--join-token",
      token,
    ]);
    assert.is(joined.code, 0, joined.stderr);
    await slave.start();
    await until("the slave's first sync", async () => (await slave.live()).includes("<request_timeout>120<"));

    // propose a change through the CLI, merge it on "GitHub"
    const edited = SAMPLE.replace("<request_timeout>120<", "<request_timeout>45<");
    const file = path.join(base, "edited.xml");
    await fsp.writeFile(file, edited);
    const proposed = await master.cli([
      "--json",
      "--actor",
      "bob",
      "propose",
      file,
      "-m",
      "shorter timeouts",
      "--slug",
      "timeouts",
    ]);
    assert.is(proposed.code, 0, proposed.stderr);
    assert.is(JSON.parse(proposed.stdout).number, 1);
    const before = (await gh.git("rev-parse", "main")).trim();
    const mergeSha = await gh.merge(1, "carol");

    // the push webhook, signed as GitHub signs it, to the master's real HTTP endpoint
    const body = JSON.stringify(
      pushPayload(gh, mergeSha, before, "Merge pull request #1 from acme/propose/timeouts", "carol"),
    );
    const res = await fetch(`${master.url}/hooks/github`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "push",
        "x-github-delivery": "5e0b3c2e-0000-4000-8000-000000000001",
        "x-hub-signature-256": await sign(SECRET, body),
      },
      body,
    });
    assert.is(res.status, 202, await res.clone().text());

    // the master applied it, the slave followed with its own hostname kept
    await until("the master's live config", async () => (await master.live()) === edited);
    await until("the slave's live config", async () => (await slave.live()).includes("<request_timeout>45<"));
    assert.is(await slave.live(), edited.replace("proxy-a.example.internal", "proxy-s1.example.internal"));
    const log = JSON.parse((await slave.cli(["--json", "log", "-n", "1"])).stdout).restorePoints[0];
    assert.is(log.source, "sync");
    await until("the final commit status", async () =>
      gh.statuses.some((s) => s.sha === mergeSha && s.state !== "pending"),
    );
    const status = gh.statuses.filter((s) => s.sha === mergeSha).at(-1)!;
    assert.is(status.state, "success", status.description);
    assert.match(status.description ?? "", /applied on 2\/2 nodes/);

    // each change is one JSON line: the merge on the master, the sync apply on the slave
    const merged = changes(master).filter((c) => c.source === "merge");
    assert.is(merged.length, 1, master.log);
    assert.is(merged[0]!.actor, "carol");
    assert.is(merged[0]!.github_commit, mergeSha);
    assert.is(merged[0]!.pull_request, 1);
    const synced = changes(slave).filter((c) => c.source === "sync" && c.tag === log.tag);
    assert.is(synced.length, 1, slave.log);
    assert.is(synced[0]!.commit, log.commit);
    assert.is(synced[0]!.actor, "master:m1");
    assert.is(synced[0]!.master_commit, merged[0]!.commit);
    assert.type(synced[0]!.duration_ms, "number");
    for (const p of [master, slave]) {
      assert.not.ok(p.log.includes(TOKEN), "no GitHub token in the log");
      assert.not.ok(p.log.includes(p.key), "no activation key in the log");
    }
  } finally {
    await Promise.all([master.stop("SIGKILL"), slave.stop("SIGKILL")]);
    await gh.close();
    await fsp.rm(base, { recursive: true, force: true });
  }
});

test.run();
