import { promises as fsp } from "node:fs";
import path from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { signSyncRequest } from "../../src/sync/signature.ts";
import { ROOT, tempDir } from "../helpers/temp-home.ts";
import { waitFor } from "./in-process.ts";
import { freePort, http, NodeProcess } from "./processes.ts";

// One master and three slaves, each its own `confvault serve` process with its own home, live
// root and activation key, driven through the CLI and HTTP only.
const test = suite("cluster of separate processes");
const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
const version = (n: number) =>
  SAMPLE.replace("<request_timeout>120</request_timeout>", `<request_timeout>${n}</request_timeout>`);
const hostOf = (name: string) => `proxy-${name}.example.internal`;

let base: string;
let master: NodeProcess;
let slaves: NodeProcess[];
let admin: string;
const slaveAdmin: Record<string, string> = {};

async function applyOnMaster(n: number, reason = `version ${n}`): Promise<{ status: number; json: any }> {
  return await http(`${master.url}/api/v1/apply?reason=${encodeURIComponent(reason)}`, {
    method: "POST",
    token: admin,
    headers: { "content-type": "application/xml" },
    body: version(n),
  });
}

async function allOn(n: number, nodes = slaves, ms = 4000): Promise<void> {
  await waitFor(
    async () => {
      for (const s of nodes) {
        const live = await s.live();
        if (!live.includes(`<request_timeout>${n}</request_timeout>`)) return false;
      }
      return true;
    },
    ms,
    `${nodes.map((s) => s.name).join(",")} on version ${n}`,
  );
  for (const s of nodes)
    assert.ok(
      (await s.live()).includes(`<hostname>${hostOf(s.name)}</hostname>`),
      `${s.name} kept its hostname`,
    );
}

async function cluster(): Promise<any> {
  const r = await http(`${master.url}/api/v1/cluster`, { token: admin });
  assert.is(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

test.before(async () => {
  base = await tempDir("confvault-cluster-");
  const ports = await Promise.all([0, 1, 2, 3].map(() => freePort()));
  master = new NodeProcess(
    "m1",
    path.join(base, "m1"),
    path.join(base, "m1-live"),
    "master-activation-key-0123456789",
    ports[0]!,
  );
  slaves = ["s1", "s2", "s3"].map(
    (n, i) =>
      new NodeProcess(
        n,
        path.join(base, n),
        path.join(base, `${n}-live`),
        `${n}-activation-key-0123456789abc`,
        ports[i + 1]!,
      ),
  );
  const init = await master.cli([
    "--json",
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
  ]);
  assert.is(init.code, 0, init.stderr);
  admin = JSON.parse(init.stdout).tokens.find((t: { role: string }) => t.role === "operator").token;
  await master.patchSettings((s) => {
    s.sync = { canary: ["s1"], watchIntervalMs: 50, retries: 2, retryBaseMs: 100, canaryTimeoutMs: 20_000 };
  });
  await master.start();
  const tokenRun = await master.cli(["--json", "cluster", "join-token", "--ttl", "10m", "--uses", "3"]);
  assert.is(tokenRun.code, 0, tokenRun.stderr);
  const joinToken = JSON.parse(tokenRun.stdout).token as string;
  await Promise.all(
    slaves.map(async (s) => {
      await fsp.mkdir(path.dirname(s.livePath()), { recursive: true });
      await fsp.writeFile(s.livePath(), SAMPLE.replace("proxy-a.example.internal", hostOf(s.name)));
      // A different cluster name at init: the slave adopts the master's at join.
      const r = await s.cli([
        "init",
        "--role",
        "slave",
        "--insecure-http",
        "--node",
        s.name,
        "--live-root",
        s.liveRoot,
        "--master",
        master.url,
        "--url",
        s.url,
        "--join-token",
        joinToken,
      ]);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, /joined cluster lab as/);
      slaveAdmin[s.name] = /admin \(operator\): (\S+)/.exec(r.stdout)![1]!;
      await s.patchSettings((x) => {
        x.sync.pollSchedule = "*/1 * * * * *";
        x.sync.pollJitterMs = 0;
      });
      await s.start();
    }),
  );
});

test.after(async () => {
  await Promise.all([master, ...slaves].map((n) => n?.stop("SIGKILL")));
  await fsp.rm(base, { recursive: true, force: true });
});

test("an apply on the master is live on all three slaves within 2 s, each keeping its own hostname", async () => {
  const t0 = Date.now();
  const r = await applyOnMaster(200, "first policy");
  assert.is(r.status, 201, JSON.stringify(r.json));
  await allOn(200, slaves, 2500);
  const ms = Date.now() - t0;
  assert.ok(ms < 2500, `took ${ms} ms`);
  await waitFor(
    async () => (await cluster()).nodes.every((n: any) => n.lag === 0 && n.health === "ok"),
    3000,
    "acks",
  );
  const c = await cluster();
  assert.is(c.nodes.length, 3);
  assert.equal(c.nodes.map((n: any) => n.name).sort(), ["s1", "s2", "s3"]);
  for (const n of c.nodes) {
    assert.is(n.applied.commit, r.json.commit);
    assert.is(n.reachable, true);
    assert.is(n.drift, false);
  }
  // The slave's own commit records where it came from.
  const log = await slaves[1]!.cli(["--json", "log", "-n", "1"]);
  assert.is(JSON.parse(log.stdout).restorePoints[0].source, "sync");
  assert.is(JSON.parse(log.stdout).restorePoints[0].actor, "master:m1");
});

test("slaves refuse apply over HTTP with NOT_MASTER", async () => {
  const r = await http(`${slaves[0]!.url}/api/v1/apply?reason=x`, {
    method: "POST",
    token: slaveAdmin.s1,
    headers: { "content-type": "application/xml" },
    body: version(1),
  });
  assert.is(r.status, 403);
  assert.is(r.json.error.code, "NOT_MASTER");
});

test("a restore on the master is followed by every slave", async () => {
  const before = (await cluster()).tip;
  assert.is((await applyOnMaster(201)).status, 201);
  await allOn(201);
  const r = await http(`${master.url}/api/v1/restore`, {
    method: "POST",
    token: admin,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tag: before.tag, reason: "back to the first policy" }),
  });
  assert.is(r.status, 201, JSON.stringify(r.json));
  await allOn(200);
});

test("forged 401, replayed 409 and oversized 413 webhooks change nothing; duplicated or older releases are harmless", async () => {
  const secret = JSON.parse(
    await fsp.readFile(path.join(master.home, "state/cluster-secret"), "utf8"),
  ) as string;
  const s2 = slaves[1]!;
  await waitFor(async () => (await cluster()).nodes.every((n: any) => n.lag === 0), 3000, "acks");
  const c = await cluster();
  const oldCommit = (
    await http(`${master.url}/api/v1/restore-points`, { token: admin })
  ).json.restorePoints.at(-1).commit as string;
  const body = JSON.stringify({ cluster: "lab", commit: oldCommit, tag: "", sequence: 1 });
  const headers = await signSyncRequest({ secret, body, delivery: "d-test-replay-0001" });
  const send = (h: Record<string, string>, b = body) =>
    http(`${s2.url}/hooks/sync`, {
      method: "POST",
      headers: { "content-type": "application/json", ...h },
      body: b,
    });
  assert.is((await send(headers)).status, 202, "an old release delivered again is accepted and ignored");
  const replay = await send(headers);
  assert.is(replay.status, 409);
  assert.is(replay.json.error.code, "REPLAYED");
  const forged = await send({
    ...headers,
    "x-confvault-delivery": "d-test-forged-001",
    "x-confvault-signature": `sha256=${"ab".repeat(32)}`,
  });
  assert.is(forged.status, 401);
  assert.is(forged.json.error.code, "UNAUTHORIZED");
  const stale = await signSyncRequest({
    secret,
    body,
    delivery: "d-test-stale-0001",
    now: new Date(Date.now() - 10 * 60_000),
  });
  assert.is((await send(stale)).status, 401);
  const big = await send(
    await signSyncRequest({ secret, body: "x".repeat(200_000), delivery: "d-test-big-00001" }),
    "x".repeat(200_000),
  );
  assert.is(big.status, 413);
  await new Promise((r) => setTimeout(r, 600));
  await allOn(200);
  const after = await cluster();
  assert.is(
    after.nodes.find((n: any) => n.name === "s2").applied.commit,
    c.nodes.find((n: any) => n.name === "s2").applied.commit,
  );
});

test("two applies in quick succession end with every slave on the newer one", async () => {
  const [a, b] = [await applyOnMaster(210), await applyOnMaster(211)];
  assert.is(a.status, 201);
  assert.is(b.status, 201);
  await allOn(211);
  await waitFor(
    async () => (await cluster()).nodes.every((n: any) => n.applied.commit === b.json.commit),
    3000,
    "acks of the newer",
  );
});

test("a slave that was down during an apply catches up as soon as it starts again", async () => {
  const s3 = slaves[2]!;
  await s3.stop();
  assert.is((await applyOnMaster(220)).status, 201);
  await allOn(220, slaves.slice(0, 2));
  assert.ok((await s3.live()).includes("<request_timeout>211<"), "s3 still on its last config while down");
  await waitFor(
    async () => (await cluster()).nodes.find((n: any) => n.name === "s3").reachable === false,
    5000,
    "s3 marked unreachable",
  );
  await s3.start();
  await allOn(220, [s3], 4000);
});

test("with the master down the slaves stay on their last good config", async () => {
  await master.stop();
  await new Promise((r) => setTimeout(r, 1500));
  for (const s of slaves) {
    assert.is((await http(`${s.url}/healthz`)).status, 200);
  }
  await allOn(220);
  await master.start();
  assert.is((await applyOnMaster(221)).status, 201);
  await allOn(221);
});

test("a slave killed mid-apply recovers cleanly and converges", async () => {
  const s2 = slaves[1]!;
  await s2.hook("post-apply", "sleep 3");
  assert.is((await applyOnMaster(230)).status, 201);
  await allOn(230, [slaves[0]!, slaves[2]!]);
  await new Promise((r) => setTimeout(r, 300));
  await s2.stop("SIGKILL");
  await s2.hook("post-apply", null);
  await s2.start();
  await allOn(230, [s2], 5000);
  const verify = await s2.cli(["verify"]);
  assert.is(verify.code, 0, verify.stderr + verify.stdout);
  await waitFor(
    async () => (await cluster()).nodes.find((n: any) => n.name === "s2").lag === 0,
    3000,
    "s2 acked",
  );
});

test("a failing health hook on the canary holds the rollout; sync resume continues once it is fixed", async () => {
  const [s1, s2, s3] = slaves as [NodeProcess, NodeProcess, NodeProcess];
  await s1.hook("health", "echo 'proxy does not answer' >&2; exit 1");
  const r = await applyOnMaster(240, "risky change");
  assert.is(r.status, 201);
  await waitFor(async () => (await cluster()).rollout.held !== null, 6000, "the rollout to be held");
  const c = await cluster();
  assert.is(c.rollout.held.node, "s1");
  assert.is(c.rollout.held.commit, r.json.commit);
  assert.match(c.rollout.held.error, /health/);
  await new Promise((res) => setTimeout(res, 1500)); // a poll or more on every slave
  for (const s of [s1, s2, s3])
    assert.ok((await s.live()).includes("<request_timeout>230<"), `${s.name} stayed on the released config`);
  const status = await master.cli(["cluster", "status"]);
  assert.match(status.stdout, /ROLLOUT HELD/);
  await s1.hook("health", null);
  const resume = await master.cli(["sync", "resume"]);
  assert.is(resume.code, 0, resume.stderr);
  assert.match(resume.stdout, /resumed the rollout/);
  await allOn(240, slaves, 5000);
  await waitFor(
    async () =>
      (await cluster()).rollout.held === null && (await cluster()).nodes.every((n: any) => n.lag === 0),
    3000,
    "released",
  );
});

test.run();
