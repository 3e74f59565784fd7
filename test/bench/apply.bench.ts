// Full apply (validate, lift + seal secrets, commit, tag, fsync'd atomic live write) against the
// git CLI doing write+add+commit+tag of the same bytes (which validates nothing) and the floor;
// restore from restore point #10 and the newest of a long history; peak RSS of a 10 MB apply.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs, { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deflateSync } from "node:zlib";
import { applyConfig } from "../../src/api/apply.ts";
import { initHome } from "../../src/api/init-home.ts";
import { maintenance } from "../../src/api/maintenance.ts";
import { restore } from "../../src/api/restore.ts";
import { showFile } from "../../src/api/show-file.ts";
import { writeFileAtomic } from "../../src/home/atomic-write.ts";
import { openHome } from "../../src/home/open-home.ts";
import {
  interleave,
  iterations,
  printFacts,
  printTable,
  QUICK,
  ShellDriver,
  sh,
  summarize,
  timed,
} from "./lib.ts";

const run$ = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const KEY = "bench-activation-key-0123456789abcdef";
const gitEnv = {
  PATH: process.env.PATH,
  HOME: os.tmpdir(),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@x",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@x",
};

const SAMPLE = fs.readFileSync(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");

/** The bundled SafeSquid sample grown to about `size` bytes with extra access rules; `variant` makes each one new. */
export function sizedConfig(size: number, variant: number): Uint8Array {
  const rules: string[] = [];
  let total = SAMPLE.length;
  for (let i = 0; total < size; i++) {
    const rule = `        <allow id="${10_000 + i}">\n            <enabled>TRUE</enabled>\n            <comment>generated rule ${i} for host${(i * 7919) % 100_003}.example.com</comment>\n            <ip>10.${(i >> 8) & 255}.${i & 255}.0/24</ip>\n            <access>PROXY,HTTP,CONNECT</access>\n        </allow>\n`;
    rules.push(rule);
    total += rule.length;
  }
  rules.push(`        <allow id="9999"><comment>variant ${variant}</comment></allow>\n`);
  return new TextEncoder().encode(SAMPLE.replace("    </access>", `${rules.join("")}    </access>`));
}

async function newHome(base: string, name: string) {
  const dir = path.join(base, name);
  await initHome({
    dir,
    liveRoot: path.join(base, `${name}-live`),
    node: "bench",
    cluster: "bench",
    keyFromEnv: true,
  });
  const ctx = await openHome({ dir, env: { CONFVAULT_ACTIVATION_KEY: KEY } });
  await ctx.keys();
  return ctx;
}

function floorWrite(dir: string, files: Uint8Array[], i: number): void {
  files.forEach((bytes, k) => {
    const header = Buffer.from(`blob ${bytes.length}\0`);
    createHash("sha1").update(header).update(bytes).digest("hex");
    const deflated = deflateSync(Buffer.concat([header, bytes]), { level: 1 });
    const fd = fs.openSync(path.join(dir, `floor-${i}-${k}`), "w");
    fs.writeSync(fd, deflated);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  });
}

/** A git work tree for the driver's baseline. */
function gitWork(dir: string): void {
  fs.mkdirSync(dir);
  execFileSync("git", ["init", "-q", "-b", "main", dir], { env: gitEnv });
}

/** The driver's untimed preparation and timed git write+add+commit+tag of sample `i`. */
async function driverCommit(driver: ShellDriver, work: string, src: string, i: number, fsync: boolean) {
  await driver.time(`cp ${sh(src)} ${sh(path.join(work, "config.xml"))}`); // untimed: see below
  const git = `git -C ${sh(work)}${fsync ? " -c core.fsync=all" : ""}`;
  return await driver.time(
    `printf '{"i":%d}' ${i} > ${sh(path.join(work, "manifest.json"))} && ${git} add config.xml manifest.json && ${git} commit -q -m 'apply ${i}' && ${git} tag -a rp/b-${i} -m 'rp ${i}'`,
  );
}

/**
 * Interleaved: every round runs each contender once (confvault apply in this process; git from
 * the shell driver with its defaults and with core.fsync=all; git spawned from this process, the
 * old baseline; the floor), the order rotating by one each round, so load changes hit all rows
 * alike. The config file is copied into the git work tree before the timer starts (a page-cache
 * write, ~0.3 ms at 1 MB), which favours git: the apply gets its bytes in memory.
 */
async function benchApply(base: string, size: number, n: number): Promise<void> {
  const configs = Array.from({ length: n + 1 }, (_, i) => sizedConfig(size, i));
  const files = configs.map((bytes, i) => {
    const file = path.join(base, `config-${size}-${i}.xml`);
    fs.writeFileSync(file, bytes);
    return file;
  });
  const ctx = await newHome(base, `apply-${size}`);
  const workDefault = path.join(base, `cli-${size}`);
  const workFsync = path.join(base, `cli-fsync-${size}`);
  const workSpawned = path.join(base, `cli-spawned-${size}`);
  for (const w of [workDefault, workFsync, workSpawned]) gitWork(w);
  const floorDir = path.join(base, `floor-${size}`);
  fs.mkdirSync(floorDir);
  const driver = new ShellDriver(base, gitEnv);
  const names = {
    apply: "confvault apply (validate+seal+commit+tag+live)",
    git: "git, shell driver, defaults",
    gitFsync: "git, shell driver, core.fsync=all",
    spawned: "git spawned from this process (old baseline)",
    floor: "floor sha1+deflate1+write+fsync",
  };
  const samples: Record<keyof typeof names, number[]> = {
    apply: [],
    git: [],
    gitFsync: [],
    spawned: [],
    floor: [],
  };
  const contenders: Array<[keyof typeof names, (i: number) => Promise<number>]> = [
    [
      "apply",
      async (i) => {
        const t0 = performance.now();
        await applyConfig({ ctx, config: configs[i], reason: `bench ${i}`, actor: "bench" });
        return performance.now() - t0;
      },
    ],
    ["git", (i) => driverCommit(driver, workDefault, files[i]!, i, false)],
    ["gitFsync", (i) => driverCommit(driver, workFsync, files[i]!, i, true)],
    [
      "spawned",
      async (i) => {
        const t0 = performance.now();
        fs.writeFileSync(path.join(workSpawned, "config.xml"), configs[i]);
        fs.writeFileSync(path.join(workSpawned, "manifest.json"), JSON.stringify({ i }));
        const opts = { cwd: workSpawned, env: gitEnv };
        await run$("git", ["add", "config.xml", "manifest.json"], opts);
        await run$("git", ["commit", "-q", "-m", `apply ${i}`], opts);
        await run$("git", ["tag", "-a", `rp/b-${i}`, "-m", `rp ${i}`], opts);
        return performance.now() - t0;
      },
    ],
    [
      "floor",
      async (i) => {
        const t0 = performance.now();
        floorWrite(floorDir, [configs[i], new TextEncoder().encode("{}")], i);
        return performance.now() - t0;
      },
    ],
  ];
  try {
    for (let i = 0; i < n + 1; i++) {
      for (let k = 0; k < contenders.length; k++) {
        const [key, fn] = contenders[(i + k) % contenders.length]!;
        const ms = await fn(i);
        if (i > 0) samples[key].push(ms); // round 0 warms up every path
      }
    }
  } finally {
    driver.close();
  }
  const rows = Object.entries(samples).map(([k, v]) => summarize(names[k as keyof typeof names], v));
  printTable(
    `apply of a ${(size / 1e6).toFixed(1)} MB SafeSquid config, ${n} interleaved rounds (targets: ≤ 0.8× git core.fsync=all, ≤ 1.0× git defaults, both from a shell)`,
    rows,
    names.gitFsync,
  );
  const med = (k: keyof typeof names) => summarize(k, samples[k]).median;
  printFacts(`ratios, ${(size / 1e6).toFixed(1)} MB (same run)`, [
    ["apply / git core.fsync=all (shell)", `${(med("apply") / med("gitFsync")).toFixed(2)}×`],
    ["apply / git defaults (shell)", `${(med("apply") / med("git")).toFixed(2)}×`],
    ["apply / git spawned from here (old)", `${(med("apply") / med("spawned")).toFixed(2)}×`],
    ["apply / floor", `${(med("apply") / med("floor")).toFixed(2)}×`],
  ]);
}

/**
 * Restores near point #10 and near the newest point, interleaved (git show, confvault show on a
 * warm context, on a fresh context, full restore), every sample and contender on its own restore
 * point, so no row reads a tag another row or an earlier sample has just read. The warm rows
 * may still hit the unsealed-bundle cache: the secrets bundle is the same blob in every point of
 * this history (re-sealed only when secrets change), as on a real server; the fresh-context rows
 * open a new home context (keys derived before the timer) and unseal each time.
 */
async function benchRestore(base: string, points: number): Promise<void> {
  const ctx = await newHome(base, "history");
  const tags: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < points; i++)
    tags.push(
      (
        await applyConfig({
          ctx,
          config: sizedConfig(20_000, i),
          reason: `h ${i}`,
          actor: "bench",
          noLive: true,
        })
      ).tag,
    );
  const build = performance.now() - t0;
  const n = iterations(15, 4);
  const driver = new ShellDriver(base, gitEnv);
  const fresh = async () => {
    const c = await openHome({ dir: ctx.layout.dir, env: { CONFVAULT_ACTIVATION_KEY: KEY } });
    await c.keys();
    return c;
  };
  const region = async (storage: string) => {
    for (const [label, pick] of [
      ["near #10", (j: number) => tags[9 + j]!],
      [`near #${points}`, (j: number) => tags[points - 1 - j]!],
    ] as const) {
      // Contender c of round r reads tag pick(r * 4 + c): every sample its own target.
      const tag = (r: number, c: number) => pick(r * 4 + c);
      const rows = await interleave(n, [
        [
          "git show TAG:config.xml > file (shell driver)",
          (r) =>
            driver.time(
              `git --git-dir=${sh(ctx.layout.gitdir)} show ${sh(`${tag(r, 0)}:config.xml`)} > ${sh(path.join(base, "show.xml"))}`,
            ),
        ],
        [
          "confvault show + atomic write, warm context",
          (r) =>
            timed(async () =>
              writeFileAtomic(path.join(base, "restored.xml"), await showFile({ ctx, ref: tag(r, 1) })),
            ),
        ],
        [
          "confvault show + atomic write, fresh context",
          async (r) => {
            const c = await fresh();
            return timed(async () =>
              writeFileAtomic(path.join(base, "restored.xml"), await showFile({ ctx: c, ref: tag(r, 2) })),
            );
          },
        ],
        [
          "confvault restore (also records a point), warm context",
          (r) => timed(() => restore({ ctx, ref: tag(r, 3), reason: "bench", actor: "bench" })),
        ],
      ]);
      printTable(
        `restore from a ${points}-point history, ${storage}, ${label}: distinct targets, ${n} interleaved rounds (target ≤ 1× git show)`,
        rows,
        rows[0]!.name,
      );
    }
  };
  try {
    await region("loose");
    await maintenance({ ctx });
    await region("packed");
  } finally {
    driver.close();
  }
  printFacts("history", [
    ["build time per apply (20 KB, no live write)", `${(build / points).toFixed(1)} ms`],
  ]);
}

export function peakRss(base: string): void {
  // The child reads a prepared 10 MB config from disk, so nothing large happened before the
  // measurement and the kernel's high-water mark (maxRSS) after the apply is the apply's peak.
  const configFile = path.join(base, "rss-config.xml");
  fs.writeFileSync(configFile, sizedConfig(10_000_000, 1));
  const script = path.join(base, "rss.mts");
  fs.writeFileSync(
    script,
    `import { readFileSync } from "node:fs";
import { applyConfig } from ${JSON.stringify(path.join(ROOT, "src/api/apply.ts"))};
import { initHome } from ${JSON.stringify(path.join(ROOT, "src/api/init-home.ts"))};
import { openHome } from ${JSON.stringify(path.join(ROOT, "src/home/open-home.ts"))};
const dir = ${JSON.stringify(path.join(base, "rss-home"))};
await initHome({ dir, liveRoot: dir + "-live", node: "rss", cluster: "bench", keyFromEnv: true });
const ctx = await openHome({ dir, env: { CONFVAULT_ACTIVATION_KEY: ${JSON.stringify(KEY)} } });
await ctx.keys();
await applyConfig({ ctx, config: new TextEncoder().encode("<safesquid><a>1</a></safesquid>"), reason: "warm", actor: "b" });
const config = new Uint8Array(readFileSync(${JSON.stringify(configFile)}));
globalThis.gc?.();
const idle = process.memoryUsage().rss;
const before = process.resourceUsage().maxRSS * 1024;
await applyConfig({ ctx, config, reason: "big", actor: "b" });
const peak = Math.max(process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
console.log(JSON.stringify({ idle, before, peak }));
`,
  );
  const out = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", script], {
    cwd: ROOT,
    encoding: "utf8",
  });
  const line = out.stdout.trim().split("\n").pop() ?? "";
  if (!line.startsWith("{")) throw new Error(`the memory probe failed: ${out.stderr}`);
  const { idle, before, peak } = JSON.parse(line) as { idle: number; before: number; peak: number };
  printFacts("memory of a 10 MB apply (target ≤ 50 MiB above idle)", [
    ["rss before the apply (10 MB config in memory)", `${(idle / 1048576).toFixed(1)} MiB`],
    ["high-water mark before the apply", `${(before / 1048576).toFixed(1)} MiB`],
    ["peak rss during the apply", `${(peak / 1048576).toFixed(1)} MiB`],
    [
      "above idle",
      // When the apply never passed the earlier high-water mark, its own peak is only bounded by it.
      `${peak <= before ? "≤ " : ""}${((peak - idle) / 1048576).toFixed(1)} MiB`,
    ],
  ]);
}

export async function run(): Promise<void> {
  // BENCH_APPLY_PARTS=apply,restore,rss picks parts; BENCH_APPLY_SIZES=1000000 picks apply sizes.
  const parts = (process.env.BENCH_APPLY_PARTS ?? "apply,restore,rss").split(",");
  const sizes = (process.env.BENCH_APPLY_SIZES ?? "100000,1000000,10000000").split(",").map(Number);
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-bench-apply-"));
  try {
    if (parts.includes("apply"))
      for (const size of sizes)
        await benchApply(
          base,
          size,
          size >= 10_000_000 ? iterations(6, 3) : size >= 1_000_000 ? iterations(20, 7) : iterations(30),
        );
    if (parts.includes("restore")) await benchRestore(base, QUICK ? 200 : 2000);
    if (parts.includes("rss")) peakRss(base);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await run();
