// Disaster recovery: `recover` from a smart-HTTP remote holding 2,000 restore points, timed until
// the live files are written (key derivation included), next to a plain `git clone` (full and
// --depth 1) of the same remote. Target (DESIGN.md): live files ≤ 3 s.
// Standalone: node --import tsx test/bench/recover.bench.ts
import { execFile } from "node:child_process";
import fs, { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { applyConfig } from "../../src/api/apply.ts";
import { initHome } from "../../src/api/init-home.ts";
import { recover } from "../../src/api/recover.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { encodeManifest, type Manifest, sha256Hex } from "../../src/core/manifest.ts";
import { openHome } from "../../src/home/open-home.ts";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { gitTestEnv } from "../helpers/git-cli.ts";
import { startGitHttpServer } from "../helpers/git-http-server.ts";
import { iterations, mib, printFacts, printTable, QUICK, summarize } from "./lib.ts";

const run$ = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const KEY = "bench-activation-key-0123456789abcdef";
const POINTS = QUICK ? 500 : 2000;
const dec = new TextDecoder();
const enc = new TextEncoder();

async function optional(file: string): Promise<string | undefined> {
  return await fsp.readFile(path.join(ROOT, "../shared/fixtures/real", file), "utf8").catch(() => undefined);
}

/**
 * A home with `count` restore points of the SafeSquid sample (one request_timeout changed per
 * point). The first goes through apply (real seal); the rest are written with a non-fsync'd
 * engine reusing that bundle and manifest, which is what apply would commit for a config
 * change that leaves the secrets alone.
 */
async function buildHistory(base: string, count: number) {
  const dir = path.join(base, "origin");
  await initHome({
    dir,
    liveRoot: path.join(base, "origin-live"),
    node: "node1",
    cluster: "bench",
    keyFromEnv: true,
  });
  const ctx = await openHome({ dir, env: { CONFVAULT_ACTIVATION_KEY: KEY } });
  const sample = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
  const [cert, key] = [await optional("pyca-root-cert.pem"), await optional("pyca-root-key.pem")];
  const first = await applyConfig({
    ctx,
    config: enc.encode(sample),
    ...(cert && key ? { cert, key } : {}),
    reason: "import",
    actor: "bench",
  });
  const committed = dec.decode(await ctx.engine.readFile(first.commit, "config.xml"));
  const sealed = await ctx.engine.readFile(first.commit, "secrets.sealed.age");
  const manifest = JSON.parse(
    dec.decode(await ctx.engine.readFile(first.commit, "manifest.json")),
  ) as Manifest;
  const fast = createRepoEngine({
    gitdir: ctx.layout.gitdir,
    fs,
    git: createGitCli({ gitdir: ctx.layout.gitdir }),
    durable: false,
  });
  let parent = first.commit;
  let last = { applied: enc.encode(sample), tag: first.tag };
  for (let i = 1; i < count; i++) {
    const swap = (s: string) =>
      s.replace("<request_timeout>120</request_timeout>", `<request_timeout>${1000 + i}</request_timeout>`);
    const config = enc.encode(swap(committed));
    const applied = enc.encode(swap(sample));
    const m: Manifest = {
      ...manifest,
      sequence: i + 1,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      config: { ...manifest.config, sha256: await sha256Hex(applied), size: applied.length },
      files: { ...manifest.files, "config.xml": { sha256: await sha256Hex(config), size: config.length } },
    };
    const tag = `rp/bench-${String(i).padStart(5, "0")}`;
    const who = {
      name: "bench",
      email: "confvault@node1",
      timestamp: 1_790_000_000 + i * 60,
      timezoneOffset: 0,
    };
    parent = await fast.commitFiles({
      branch: "main",
      files: { "config.xml": config, "secrets.sealed.age": sealed, "manifest.json": encodeManifest(m) },
      message: `apply: change ${i}\n\nConfvault-Reason: change ${i}\n`,
      author: who,
      expectedParent: parent,
      tag: { name: tag, message: `change ${i}\n` },
    });
    last = { applied, tag };
  }
  await ctx.engine.maintenance();
  return { ctx, last, withCert: Boolean(cert && key) };
}

export async function run(): Promise<void> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-bench-recover-"));
  const server = await startGitHttpServer();
  try {
    let t0 = performance.now();
    const { ctx, last, withCert } = await buildHistory(base, POINTS);
    const buildMs = performance.now() - t0;
    const url = await server.createRepo("offsite.git");
    await remoteAdd({ ctx, name: "offsite", url });
    t0 = performance.now();
    await remotePush({ ctx, env: {} });
    const pushMs = performance.now() - t0;
    await run$("git", [`--git-dir=${server.repoDir("offsite.git")}`, "gc", "--quiet"], { env: gitTestEnv });
    const packBytes = (await fsp.readdir(path.join(server.repoDir("offsite.git"), "objects/pack")))
      .filter((f) => f.endsWith(".pack"))
      .reduce(
        (sum, f) => sum + fs.statSync(path.join(server.repoDir("offsite.git"), "objects/pack", f)).size,
        0,
      );

    const n = iterations(5, 3);
    const live: number[] = [];
    const total: number[] = [];
    const phases: Record<string, number[]> = { fetch: [], keys: [], verify: [], live: [] };
    let check = "";
    for (let i = 0; i < n + 1; i++) {
      const dir = path.join(base, `recovered-${i}`);
      const liveRoot = path.join(base, `live-${i}`);
      const start = performance.now();
      const r = await recover({ dir, from: url, liveRoot, env: { CONFVAULT_ACTIVATION_KEY: KEY } });
      const elapsed = performance.now() - start;
      if (i === 0) {
        const written = await fsp.readFile(r.liveWritten.at(-1)!);
        check = Buffer.compare(written, Buffer.from(last.applied)) === 0 ? "byte-identical" : "DIFFERENT";
        continue; // warm-up
      }
      live.push(r.timings.live);
      for (const k of Object.keys(phases) as Array<keyof typeof phases>)
        phases[k]!.push(r.timings[k as "fetch"]);
      total.push(elapsed);
      await fsp.rm(dir, { recursive: true, force: true });
    }
    const clone = async (name: string, args: string[]) => {
      const samples: number[] = [];
      for (let i = 0; i < n + 1; i++) {
        const dest = path.join(base, `${name}-${i}.git`);
        const start = performance.now();
        await run$("git", ["clone", "--quiet", "--bare", ...args, url, dest], { env: gitTestEnv });
        if (i > 0) samples.push(performance.now() - start);
        await fsp.rm(dest, { recursive: true, force: true });
      }
      return summarize(name, samples);
    };
    const full = await clone("git clone --bare (full)", []);
    const shallow = await clone("git clone --bare --depth 1", ["--depth", "1"]);
    const liveT = summarize("recover → live files written", live);
    const totalT = summarize("recover incl. full history", total);
    printTable(
      `recover from a smart-HTTP remote with ${POINTS} restore points`,
      [full, shallow, liveT, totalT],
      full.name,
    );
    printFacts("recover facts", [
      [
        "recover phases, median ms since start",
        Object.entries(phases)
          .map(([k, v]) => `${k} ${summarize(k, v).median.toFixed(0)}`)
          .join(", "),
      ],
      ["history built (s)", (buildMs / 1000).toFixed(1)],
      ["first push of all points (ms)", pushMs.toFixed(0)],
      ["remote pack size", mib(packBytes)],
      ["recovered config.xml vs the latest point", check],
      ["cert + key in the bundle", withCert ? "pyca pair" : "none (fixtures missing)"],
      [
        "target: live files <= 3000 ms",
        liveT.median <= 3000
          ? `met (${liveT.median.toFixed(0)} ms)`
          : `MISSED (${liveT.median.toFixed(0)} ms)`,
      ],
    ]);
  } finally {
    await server.close();
    await fsp.rm(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
