// Disaster recovery from an S3 bucket (the npm s3rver package, a real S3-protocol server process
// on 127.0.0.1) against recovery from a smart-HTTP git remote of the same 2,000-point history:
// time until the live files are written and until the home is complete, for a bucket filled by
// one push (one complete bundle) and by incremental pushes (one bundle per push). Also: push
// times and `verify --remote`. BENCH_QUICK=1: 500 points. BENCH_S3_PUSHES=N sets the number of
// incremental pushes (default 100; 2000 pushes one point each).
// Standalone: node --import tsx test/bench/s3-recover.bench.ts
import fs, { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applyConfig } from "../../src/api/apply.ts";
import { initHome } from "../../src/api/init-home.ts";
import { recover } from "../../src/api/recover.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { verify } from "../../src/api/verify.ts";
import { encodeManifest, type Manifest, sha256Hex } from "../../src/core/manifest.ts";
import type { HomeContext } from "../../src/home/context.ts";
import { openHome } from "../../src/home/open-home.ts";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { startGitHttpServer } from "../helpers/git-http-server.ts";
import { S3RVER_CREDENTIALS, startS3Server } from "../helpers/s3-server.ts";
import { iterations, printFacts, printTable, QUICK, summarize, type Timing } from "./lib.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const KEY = "bench-activation-key-0123456789abcdef";
const POINTS = QUICK ? 500 : 2000;
const PUSHES = Number(process.env.BENCH_S3_PUSHES ?? (QUICK ? 25 : 100));
const enc = new TextEncoder();
const dec = new TextDecoder();
const env = { CONFVAULT_ACTIVATION_KEY: KEY, ...S3RVER_CREDENTIALS };

async function optional(file: string): Promise<string | undefined> {
  return await fsp.readFile(path.join(ROOT, "../shared/fixtures/real", file), "utf8").catch(() => undefined);
}

/**
 * A history grown the way recover.bench.ts grows it (the first point through apply, the rest
 * committed with a non-fsync'd engine reusing its seal and manifest), with a hook after every
 * `every` points (an incremental push).
 */
async function buildHistory(
  base: string,
  count: number,
  every: number,
  after: (ctx: HomeContext) => Promise<void>,
): Promise<{ ctx: HomeContext; last: Uint8Array }> {
  const dir = path.join(base, "origin");
  await initHome({
    dir,
    liveRoot: path.join(base, "origin-live"),
    node: "node1",
    cluster: "bench",
    keyFromEnv: true,
  });
  const ctx = await openHome({ dir, env });
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
  let last = enc.encode(sample);
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
    parent = await fast.commitFiles({
      branch: "main",
      files: { "config.xml": config, "secrets.sealed.age": sealed, "manifest.json": encodeManifest(m) },
      message: `apply: change ${i}\n\nConfvault-Reason: change ${i}\n`,
      author: {
        name: "bench",
        email: "confvault@node1",
        timestamp: 1_790_000_000 + i * 60,
        timezoneOffset: 0,
      },
      expectedParent: parent,
      tag: { name: `rp/bench-${String(i).padStart(5, "0")}`, message: `change ${i}\n` },
    });
    last = applied;
    if ((i + 1) % every === 0 || i === count - 1) await after(ctx);
  }
  return { ctx, last };
}

async function timeRecover(
  base: string,
  name: string,
  from: string,
  extra: Partial<Parameters<typeof recover>[0]>,
  expected: Uint8Array,
): Promise<{ live: Timing; total: Timing; check: string }> {
  const n = iterations(3, 2);
  const live: number[] = [];
  const total: number[] = [];
  let check = "byte-identical";
  for (let i = 0; i < n + 1; i++) {
    const dir = path.join(base, `${name}-home-${i}`);
    const start = performance.now();
    const r = await recover({ dir, from, liveRoot: path.join(base, `${name}-live-${i}`), env, ...extra });
    const elapsed = performance.now() - start;
    const written = await fsp.readFile(r.liveWritten.find((f) => f.endsWith(".xml"))!);
    if (Buffer.compare(written, Buffer.from(expected)) !== 0) check = "DIFFERENT";
    if (i > 0) {
      live.push(r.timings.live);
      total.push(elapsed);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }
  return {
    live: summarize(`${name}: live files`, live),
    total: summarize(`${name}: complete home`, total),
    check,
  };
}

export async function run(): Promise<void> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-bench-s3-"));
  const s3 = await startS3Server();
  const server = await startGitHttpServer();
  try {
    const s3opts = { endpoint: s3.endpoint, region: "us-east-1", pathStyle: true };
    const every = Math.max(1, Math.ceil(POINTS / PUSHES));
    const pushTimes: number[] = [];
    let registered = false;
    let t0 = performance.now();
    const { ctx, last } = await buildHistory(base, POINTS, every, async (c) => {
      if (!registered) {
        await remoteAdd({
          ctx: c,
          name: "incremental",
          url: `s3://${s3.bucket}/incremental`,
          s3: { ...s3opts, fullBundleAfter: 0 },
        });
        await remoteAdd({ ctx: c, name: "default", url: `s3://${s3.bucket}/default`, s3: s3opts });
        registered = true;
      }
      const start = performance.now();
      const [r] = await remotePush({ ctx: c, env, name: "incremental" });
      if (!r?.ok) throw new Error(JSON.stringify(r));
      pushTimes.push(performance.now() - start);
      const [d] = await remotePush({ ctx: c, env, name: "default" });
      if (!d?.ok) throw new Error(JSON.stringify(d));
    });
    const buildMs = performance.now() - t0;
    await ctx.engine.maintenance();
    await remoteAdd({ ctx, name: "full", url: `s3://${s3.bucket}/full`, s3: s3opts });
    t0 = performance.now();
    await remotePush({ ctx, env, name: "full" });
    const fullPushMs = performance.now() - t0;
    const url = await server.createRepo("offsite.git");
    await remoteAdd({ ctx, name: "git", url });
    t0 = performance.now();
    await remotePush({ ctx, env, name: "git" });
    const gitPushMs = performance.now() - t0;
    t0 = performance.now();
    const checked = await verify({ ctx, remote: "incremental", env });
    const verifyMs = performance.now() - t0;
    if (!checked.ok)
      throw new Error(
        `verify --remote failed: ${JSON.stringify(checked.remote?.bundles.find((b) => !b.ok))}`,
      );

    const git = await timeRecover(base, "git remote (smart HTTP)", url, {}, last);
    const full = await timeRecover(base, "s3, 1 bundle", `s3://${s3.bucket}/full`, { s3: s3opts }, last);
    const inc = await timeRecover(
      base,
      `s3, ${pushTimes.length} increments (fullBundleAfter 0)`,
      `s3://${s3.bucket}/incremental`,
      { s3: s3opts },
      last,
    );
    const defaultBundles = (await verify({ ctx, remote: "default", env })).remote?.bundles.length ?? 0;
    const dflt = await timeRecover(
      base,
      `s3, default (fullBundleAfter 50: ${defaultBundles} bundles)`,
      `s3://${s3.bucket}/default`,
      { s3: s3opts },
      last,
    );
    printTable(
      `recover of ${POINTS} restore points: S3 bucket (s3rver) vs git remote`,
      [git.live, git.total, full.live, full.total, inc.live, inc.total, dflt.live, dflt.total],
      git.total.name,
    );
    const pushes = summarize("push", pushTimes);
    printFacts("s3 facts", [
      ["history built incl. incremental pushes (s)", (buildMs / 1000).toFixed(1)],
      [
        `incremental push of ${every} point(s), median / p99 ms`,
        `${pushes.median.toFixed(0)} / ${pushes.p99.toFixed(0)}`,
      ],
      ["first push of all points to s3 (ms)", fullPushMs.toFixed(0)],
      ["first push of all points to git (ms)", gitPushMs.toFixed(0)],
      [`verify --remote over ${pushTimes.length} bundles (ms)`, verifyMs.toFixed(0)],
      [
        "recovered config.xml (git / s3 full / s3 incremental / default)",
        `${git.check} / ${full.check} / ${inc.check} / ${dflt.check}`,
      ],
    ]);
  } finally {
    await server.close();
    await s3.close();
    await fsp.rm(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
