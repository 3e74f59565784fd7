// Cluster sync propagation: POST /api/v1/apply on a master process until 10 slave processes have
// all acked (p50/p99 over repeated applies), and a fan-out to 100 simulated slaves (in-process
// HTTP receivers that verify the signature, fetch their release and ack).
// Runs from test/bench/run.ts (every *.bench.ts) or alone: node --import tsx test/bench/sync.bench.ts
import { promises as fsp } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { sha256Hex } from "../../src/core/manifest.ts";
import { sealBundle } from "../../src/seal/seal-bundle.ts";
import { createSigner } from "../../src/seal/signing-key.ts";
import {
  manifestSha256,
  releaseSignedBytes,
  signBytes,
  verifySigned,
} from "../../src/sync/release-signature.ts";
import { verifySyncRequest } from "../../src/sync/signature.ts";
import { ROOT } from "../helpers/temp-home.ts";
import { freePort, http, NodeProcess } from "../sync/processes.ts";
import { AckBoard, startAckTap } from "./drivers/ack-tap.ts";

const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
const version = (n: number) =>
  SAMPLE.replace("<request_timeout>120</request_timeout>", `<request_timeout>${n}</request_timeout>`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function startMaster(base: string, canary = true): Promise<{ master: NodeProcess; admin: string }> {
  const master = new NodeProcess(
    "m1",
    path.join(base, "m1"),
    path.join(base, "m1-live"),
    "bench-master-key-0123456789",
    await freePort(),
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
    "bench",
    "--live-root",
    master.liveRoot,
  ]);
  if (init.code !== 0) throw new Error(init.stderr);
  const admin = JSON.parse(init.stdout).tokens.find((t: { role: string }) => t.role === "operator")
    .token as string;
  if (!canary) {
    // sync.canary = []: every slave gets each release at once (no canary stage).
    const file = path.join(master.home, "settings.json");
    const settings = JSON.parse(await fsp.readFile(file, "utf8"));
    settings.sync = { ...settings.sync, canary: [] };
    await fsp.writeFile(file, JSON.stringify(settings, null, 2));
  }
  await master.start();
  return { master, admin };
}

async function joinToken(master: NodeProcess, uses: number): Promise<string> {
  const r = await master.cli(["--json", "cluster", "join-token", "--uses", String(uses)]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).token as string;
}

type Wait = "ack" | "poll";

/**
 * Applies version n on the master and waits until `count` nodes acked that commit; returns ms.
 * `ack`: woken by the ack board the moment the master accepted the last ack (the tap in front of
 * the master, or the simulated slaves' own ack calls). `poll`: the old harness, `GET
 * /api/v1/cluster` every 5 ms; `acked` then also gives the last ack's own time from the board.
 */
async function applyAndWait(
  master: NodeProcess,
  admin: string,
  n: number,
  count: number,
  board: AckBoard,
  wait: Wait,
  timeoutMs = 30_000,
): Promise<{ ms: number; acked: number }> {
  const t0 = performance.now();
  const r = await http(`${master.url}/api/v1/apply?reason=bench-${n}`, {
    method: "POST",
    token: admin,
    headers: { "content-type": "application/xml" },
    body: version(n),
  });
  if (r.status !== 201) throw new Error(`apply failed: ${JSON.stringify(r.json)}`);
  const commit = r.json.commit as string;
  if (wait === "ack") {
    const at = await board.wait(commit, count, timeoutMs);
    return { ms: at - t0, acked: at - t0 };
  }
  for (;;) {
    const c = await http(`${master.url}/api/v1/cluster`, { token: admin });
    const acked = (c.json.nodes as Array<{ applied: { commit: string } | null }>).filter(
      (x) => x.applied?.commit === commit,
    ).length;
    if (acked >= count) {
      const ms = performance.now() - t0;
      return { ms, acked: (board.ackedAt(commit, count) ?? Number.NaN) - t0 };
    }
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`only ${acked}/${count} acked after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Alternating applies (ack-notified, polled, ack, poll, …) after one warm-up; p50/p99 of each. */
async function alternate(
  master: NodeProcess,
  admin: string,
  count: number,
  board: AckBoard,
  applies: number,
  from: number,
) {
  await applyAndWait(master, admin, from - 1, count, board, "ack"); // warm-up: first release per node, identity derivations
  const times = { ack: [] as number[], poll: [] as number[], pollAcked: [] as number[] };
  for (let i = 0; i < applies; i++) {
    const wait: Wait = i % 2 === 0 ? "ack" : "poll";
    const r = await applyAndWait(master, admin, from + i, count, board, wait);
    times[wait].push(r.ms);
    if (wait === "poll") times.pollAcked.push(r.acked);
  }
  const stats = (v: number[]) => ({
    p50: percentile(v, 50),
    p99: percentile(v, 99),
    max: Math.max(...v),
    runs: v.length,
  });
  return { ack: stats(times.ack), poll: stats(times.poll), pollAcked: stats(times.pollAcked) };
}

async function tenSlaveProcesses(base: string, applies: number, canary = true) {
  const { master, admin } = await startMaster(base, canary);
  const token = await joinToken(master, 10);
  const board = new AckBoard();
  const tap = await startAckTap(master.url, board);
  const slaves: NodeProcess[] = [];
  try {
    for (let i = 1; i <= 10; i++) {
      slaves.push(
        new NodeProcess(
          `s${i}`,
          path.join(base, `s${i}`),
          path.join(base, `s${i}-live`),
          `bench-slave-${i}-key-0123456789`,
          await freePort(),
        ),
      );
    }
    // Joins in order (the first is the canary), in batches to spare a small machine.
    for (const s of slaves) {
      await fsp.mkdir(path.dirname(s.livePath()), { recursive: true });
      await fsp.writeFile(
        s.livePath(),
        SAMPLE.replace("proxy-a.example.internal", `proxy-${s.name}.example.internal`),
      );
      const r = await s.cli([
        "init",
        "--role",
        "slave",
        "--insecure-http",
        "--node",
        s.name,
        "--cluster",
        "bench",
        "--live-root",
        s.liveRoot,
        "--master",
        tap.url, // through the ack tap: the harness is told of each ack as the master takes it
        "--url",
        s.url,
        "--join-token",
        token,
      ]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    for (let i = 0; i < slaves.length; i += 3)
      await Promise.all(slaves.slice(i, i + 3).map((s) => s.start()));
    return await alternate(master, admin, 10, board, applies, 100);
  } finally {
    await Promise.all([master, ...slaves].map((n) => n.stop()));
    await tap.close();
  }
}

interface Simulated {
  name: string;
  server: Server;
  nodeToken?: string;
  secret?: string;
}

async function simulatedFanOut(base: string, count: number, applies: number) {
  const { master, admin } = await startMaster(base);
  const token = await joinToken(master, count);
  const board = new AckBoard();
  const sims: Simulated[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const sim: Simulated = { name: `sim${i}`, server: createServer() };
      sim.server.on("request", (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", async () => {
          const body = Buffer.concat(chunks).toString("utf8");
          try {
            await verifySyncRequest({
              secret: sim.secret!,
              body,
              headers: {
                signature: req.headers["x-confvault-signature"] as string,
                timestamp: req.headers["x-confvault-timestamp"] as string,
                delivery: req.headers["x-confvault-delivery"] as string,
              },
            });
          } catch {
            res.writeHead(401).end();
            return;
          }
          res.writeHead(202, { "content-type": "application/json" }).end("{}");
          const { commit } = JSON.parse(body) as { commit: string };
          const rel = await http(`${master.url}/api/v1/releases/${commit}`, { token: sim.nodeToken });
          const ack = {
            node: sim.name,
            commit,
            sequence: rel.json.sequence,
            ok: true,
            tag: rel.json.tag,
            applied: { commit, sequence: rel.json.sequence, tag: rel.json.tag },
          };
          const acked = await http(`${master.url}/api/v1/cluster/ack`, {
            method: "POST",
            token: sim.nodeToken,
            headers: { "content-type": "application/json" },
            body: JSON.stringify(ack),
          });
          if (acked.status < 300) board.record(ack);
        });
      });
      await new Promise<void>((r) => sim.server.listen(0, "127.0.0.1", () => r()));
      const port = (sim.server.address() as AddressInfo).port;
      const recipient = await identityToRecipient(await generateIdentity());
      const joined = await http(`${master.url}/api/v1/cluster/join`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          node: sim.name,
          url: `http://127.0.0.1:${port}`,
          recipient,
          joinToken: token,
        }),
      });
      if (joined.status !== 201) throw new Error(JSON.stringify(joined.json));
      sim.nodeToken = joined.json.nodeToken;
      sim.secret = joined.json.clusterSecret;
      sims.push(sim);
    }
    return await alternate(master, admin, count, board, applies, 300);
  } finally {
    await master.stop();
    await Promise.all(sims.map((s) => new Promise((r) => s.server.close(r))));
  }
}

async function timePer(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}

/**
 * What the release signature adds per release and recipient, against what the master already
 * does per recipient (re-sealing the bundle): hashing config, manifest and bundle plus one
 * Ed25519 sign on the master; the same hashes plus one verify on the slave.
 */
async function signingCost(configBytes: number) {
  const signer = await createSigner(new Uint8Array(32).fill(7));
  const recipient = await identityToRecipient(await generateIdentity());
  const config = new TextEncoder().encode(version(1).padEnd(configBytes, " "));
  const bundle = {
    version: 1 as const,
    cert: "C".repeat(2_000),
    key: "K".repeat(3_200),
    secrets: {},
  };
  const sealed = await sealBundle(bundle, [recipient]);
  const facts = {
    cluster: "lab",
    commit: "a".repeat(40),
    sequence: 42,
    tag: "rp/20260101T000000Z-42",
    recipient,
    reason: "apply",
    actor: "bench",
    manifest: {
      format: 1,
      sequence: 42,
      config: { sha256: "0".repeat(64) },
      files: { "config.xml": { sha256: "1".repeat(64) } },
    },
    config,
    bundle: sealed,
  };
  const signature = await signBytes(signer, await releaseSignedBytes(facts));
  const n = configBytes > 100_000 ? 200 : 2_000;
  const seal = await timePer(Math.min(n, 500), () => sealBundle(bundle, [recipient]));
  // The master hashes config and manifest once per commit; per recipient only the bundle.
  const cached = {
    ...facts,
    configSha256: await sha256Hex(config),
    manifestSha256: await manifestSha256(facts.manifest),
  };
  const sign = await timePer(n, async () => signBytes(signer, await releaseSignedBytes(cached)));
  const verify = await timePer(n, async () =>
    verifySigned("bench", await releaseSignedBytes(facts), signature, [signer.sshPublicKey]),
  );
  return { seal, sign, verify };
}

export async function run(): Promise<Record<string, number>> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-bench-sync-"));
  try {
    const costs: Record<string, number> = {};
    for (const [label, size] of [
      ["sample config", 0],
      ["1 MB config", 1_000_000],
    ] as const) {
      const c = await signingCost(size);
      console.log(
        `sync: release signature, ${label}: sign ${(c.sign * 1000).toFixed(0)} µs, verify ${(c.verify * 1000).toFixed(0)} µs per release (the master hashes config and manifest once per commit, the slave hashes all three) vs re-sealing the bundle ${(c.seal * 1000).toFixed(0)} µs per recipient: sign ${(c.sign / c.seal).toFixed(2)}×, verify ${(c.verify / c.seal).toFixed(2)}× of sealing`,
      );
      const key = size ? "1mb" : "Sample";
      costs[`sign${key}Us`] = c.sign * 1000;
      costs[`verify${key}Us`] = c.verify * 1000;
      costs[`seal${key}Us`] = c.seal * 1000;
    }
    if (process.env.BENCH_SIGN_ONLY === "1") return costs;
    // Applies alternate between the ack-notified wait and the old 5 ms poll (same processes,
    // interleaved), so both figures come from one run.
    const applies = Number(process.env.BENCH_SYNC_APPLIES ?? 20);
    type Row = Awaited<ReturnType<typeof alternate>>;
    const report = (label: string, r: Row, target = "") =>
      console.log(
        `sync: ${label}: ack-notified p50 ${r.ack.p50.toFixed(0)} ms, p99 ${r.ack.p99.toFixed(0)} ms (${r.ack.runs} applies); ` +
          `polled every 5 ms p50 ${r.poll.p50.toFixed(0)} ms, p99 ${r.poll.p99.toFixed(0)} ms (${r.poll.runs} applies; their last ack itself p50 ${r.pollAcked.p50.toFixed(0)} ms); ack/poll p50 ${(r.ack.p50 / r.poll.p50).toFixed(2)}×${target}`,
      );
    const ten = await tenSlaveProcesses(path.join(base, "ten"), applies);
    report(
      "apply on master → 10 slave processes all acked (canary first)",
      ten,
      ` (target p50 ≤ 300 ms, p99 ≤ 1000 ms: ${(ten.ack.p50 / 300).toFixed(2)}× / ${(ten.ack.p99 / 1000).toFixed(2)}× of target)`,
    );
    const flat = await tenSlaveProcesses(path.join(base, "flat"), applies, false);
    report("same without a canary stage (sync.canary = [])", flat);
    const fleet = await simulatedFanOut(path.join(base, "fleet"), 100, 6);
    report("fan-out to 100 simulated slaves all acked", fleet);
    if (process.env.BENCH_QUICK !== "1") {
      const big = await simulatedFanOut(path.join(base, "fleet1000"), 1000, 4);
      report("fan-out to 1,000 simulated slaves all acked", big, " (target ≤ 10 s)");
    }
    return {
      ...costs,
      tenP50Ms: ten.ack.p50,
      tenP99Ms: ten.ack.p99,
      tenPollP50Ms: ten.poll.p50,
      flatP50Ms: flat.ack.p50,
      fleet100P50Ms: fleet.ack.p50,
      fleet100MaxMs: fleet.ack.max,
    };
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run();
}
