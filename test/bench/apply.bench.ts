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

/**
 * Peak RSS, measured in fresh child processes (the kernel's high-water mark,
 * `process.resourceUsage().maxRSS`, read as the child exits), interleaved: `idle` (the same
 * imports, nothing else), `open` (imports, open the home, derive keys, read the config file) and
 * `apply` (the same, then one apply). `apply − open` is what the apply itself adds; the issue's
 * target counts `apply − idle`. The children run the sources through tsx, as this benchmark
 * does; the compiled CLI is measured the same way with /usr/bin/time when dist/ is built.
 */
export async function peakRss(base: string): Promise<void> {
  const home = path.join(base, "rss-home");
  const ctx = await newHome(base, "rss-home");
  await applyConfig({ ctx, config: sizedConfig(20_000, 0), reason: "first", actor: "b" });
  const script = path.join(base, "rss.mts");
  fs.writeFileSync(
    script,
    `import { readFileSync } from "node:fs";
import { applyConfig } from ${JSON.stringify(path.join(ROOT, "src/api/apply.ts"))};
import { openHome } from ${JSON.stringify(path.join(ROOT, "src/home/open-home.ts"))};
const [mode, file] = process.argv.slice(2);
if (mode !== "idle") {
  const ctx = await openHome({ dir: ${JSON.stringify(home)}, env: { CONFVAULT_ACTIVATION_KEY: ${JSON.stringify(KEY)} } });
  await ctx.keys();
  const config = new Uint8Array(readFileSync(file));
  if (mode === "apply") {
    const rss = process.memoryUsage().rss;
    const mark = process.resourceUsage().maxRSS * 1024;
    await applyConfig({ ctx, config, reason: "rss", actor: "b" });
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(JSON.stringify({ maxRss: peak, own: peak > mark ? (peak - rss) : -(mark - rss) }));
    process.exit(0);
  }
}
console.log(JSON.stringify({ maxRss: process.resourceUsage().maxRSS * 1024 }));
`,
  );
  const own: number[] = [];
  const child = (mode: string, file: string): number => {
    const out = spawnSync(process.execPath, ["--import", "tsx", script, mode, file], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const line = out.stdout.trim().split("\n").pop() ?? "";
    if (out.status !== 0 || !line.startsWith("{")) throw new Error(`the memory probe failed: ${out.stderr}`);
    const r = JSON.parse(line) as { maxRss: number; own?: number };
    if (r.own !== undefined) own.push(r.own / 1048576);
    return r.maxRss / 1048576;
  };
  const cliBuilt = fs.existsSync(path.join(ROOT, "dist/entry.js")) && fs.existsSync("/usr/bin/time");
  // A second home keeps its activation key in the home (the default `init`): a keyed command
  // then reads the derived identity from state/identity.json instead of running scrypt (an env
  // key, as in the first home, is never cached and derives every time: ~32 MiB of scrypt).
  const keyedHome = path.join(base, "rss-keyed");
  await initHome({ dir: keyedHome, liveRoot: `${keyedHome}-live`, node: "bench", cluster: "bench" });
  const timeV = (args: string[], keyed = false): number => {
    const env: Record<string, string | undefined> = keyed
      ? { PATH: process.env.PATH, CONFVAULT_HOME: keyedHome, NO_COLOR: "1" }
      : { PATH: process.env.PATH, CONFVAULT_HOME: home, CONFVAULT_ACTIVATION_KEY: KEY, NO_COLOR: "1" };
    const out = spawnSync("/usr/bin/time", ["-f", "maxrss=%M", process.execPath, ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env,
    });
    const m = /maxrss=(\d+)/.exec(out.stderr);
    if (out.status !== 0 || !m) throw new Error(`/usr/bin/time ${args.join(" ")} failed: ${out.stderr}`);
    return Number(m[1]) / 1024;
  };
  const bin = path.join(ROOT, "bin/confvault.js");
  if (cliBuilt) {
    // Untimed: the keyed home's first keyed command derives and caches the identity.
    const first = path.join(base, "rss-first.xml");
    fs.writeFileSync(first, sizedConfig(20_000, 0));
    timeV([bin, "apply", first, "-m", "first"], true);
  }
  const n = iterations(5, 3);
  for (const size of [1_000_000, 10_000_000]) {
    own.length = 0;
    const files = Array.from({ length: 3 * (n + 1) }, (_, i) => {
      const file = path.join(base, `rss-${size}-${i}.xml`);
      fs.writeFileSync(file, sizedConfig(size, 1000 + i));
      return file;
    });
    const asTiming = (fn: (r: number) => number) => async (r: number) => fn(r);
    const contenders: Array<[string, (r: number) => Promise<number>]> = [
      ["idle: same imports, nothing else", asTiming(() => child("idle", files[0]!))],
      ["open: imports, open home, keys, read config", asTiming((r) => child("open", files[3 * r]!))],
      ["apply: the same + apply", asTiming((r) => child("apply", files[3 * r]!))],
    ];
    if (cliBuilt)
      contenders.push(
        ["CLI: node -e 0", asTiming(() => timeV(["-e", "0"]))],
        ["CLI: confvault --help", asTiming(() => timeV([bin, "--help"]))],
        [
          "CLI: confvault apply FILE (env key: scrypt)",
          asTiming((r) => timeV([bin, "apply", files[3 * r + 1]!, "-m", "rss"])),
        ],
        [
          "CLI: confvault apply FILE (key in home, cached identity)",
          asTiming((r) => timeV([bin, "apply", files[3 * r + 2]!, "-m", "rss"], true)),
        ],
      );
    const rows = await interleave(n, contenders, 0);
    const med = (name: string) => rows.find((row) => row.name.startsWith(name))!.median;
    console.log(
      `\npeak RSS (maxRSS of fresh processes, MiB, ${n} interleaved rounds), ${(size / 1e6).toFixed(0)} MB config\n${rows
        .map(
          (row) =>
            `${row.name.padEnd(56)}  median ${row.median.toFixed(1)}  min ${row.min.toFixed(1)}  max ${Math.max(...row.samples).toFixed(1)}`,
        )
        .join("\n")}`,
    );
    const facts: Array<[string, string]> = [
      ["apply − idle (target ≤ 30 MiB at 10 MB)", `${(med("apply") - med("idle")).toFixed(1)} MiB`],
      [
        "apply − open (the apply above the key derivation's mark)",
        `${(med("apply") - med("open")).toFixed(1)} MiB`,
      ],
      [
        // Positive: the apply passed the process's earlier high-water mark (scrypt's ~32 MiB),
        // so peak − RSS just before it is exact; otherwise only a bound (≤) is known.
        "apply's own peak above RSS just before it",
        own.map((v) => (v >= 0 ? `${v.toFixed(1)}` : `≤ ${(-v).toFixed(1)}`)).join(", ") + " MiB",
      ],
    ];
    if (cliBuilt) {
      const mib = (a: string, b: string) => `${(med(a) - med(b)).toFixed(1)} MiB`;
      const env = "CLI: confvault apply FILE (env";
      const keyed = "CLI: confvault apply FILE (key";
      facts.push(
        ["CLI apply, env key − node -e 0", mib(env, "CLI: node -e 0")],
        ["CLI apply, env key − CLI --help", mib(env, "CLI: confvault --help")],
        ["CLI apply, key in home − node -e 0", mib(keyed, "CLI: node -e 0")],
        ["CLI apply, key in home − CLI --help", mib(keyed, "CLI: confvault --help")],
      );
    }
    printFacts(`memory of a ${(size / 1e6).toFixed(0)} MB apply (medians)`, facts);
  }
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
    if (parts.includes("rss")) await peakRss(base);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await run();
