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
import { iterations, measure, printFacts, printTable, QUICK } from "./lib.ts";

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

async function benchApply(base: string, size: number, n: number): Promise<void> {
  const configs = Array.from({ length: n + 2 }, (_, i) => sizedConfig(size, i));
  const ctx = await newHome(base, `apply-${size}`);
  const apply = await measure("confvault apply (validate+seal+commit+tag+live)", n, (_, i) =>
    applyConfig({ ctx, config: configs[i], reason: `bench ${i}`, actor: "bench" }),
  );
  const work = path.join(base, `cli-${size}`);
  fs.mkdirSync(work);
  execFileSync("git", ["init", "-q", "-b", "main", work], { env: gitEnv });
  const cli = await measure("git CLI write+add+commit+tag", n, async (_, i) => {
    fs.writeFileSync(path.join(work, "config.xml"), configs[i]);
    fs.writeFileSync(path.join(work, "manifest.json"), JSON.stringify({ i }));
    await run$("git", ["add", "config.xml", "manifest.json"], { cwd: work, env: gitEnv });
    await run$("git", ["commit", "-q", "-m", `apply ${i}`], { cwd: work, env: gitEnv });
    await run$("git", ["tag", "-a", `rp/b-${i}`, "-m", `rp ${i}`], { cwd: work, env: gitEnv });
  });
  const floorDir = path.join(base, `floor-${size}`);
  fs.mkdirSync(floorDir);
  const floor = await measure("floor sha1+deflate1+write+fsync", n, (_, i) =>
    floorWrite(floorDir, [configs[i], new TextEncoder().encode("{}")], i),
  );
  printTable(
    `apply of a ${(size / 1e6).toFixed(1)} MB SafeSquid config (target: ≤ 0.7× git CLI, ≤ 3× floor)`,
    [cli, apply, floor],
    cli.name,
  );
}

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
  const n = iterations(15);
  const rows = [];
  for (const [label, tag] of [
    ["#10", tags[9]],
    [`#${points}`, tags[points - 1]],
  ] as const) {
    rows.push(
      await measure(`git show ${label}:config.xml + write`, n, async () => {
        const { stdout } = await run$(
          "git",
          [`--git-dir=${ctx.layout.gitdir}`, "show", `${tag}:config.xml`],
          { env: gitEnv, encoding: "buffer", maxBuffer: 1 << 28 },
        );
        await fsp.writeFile(path.join(base, "show.xml"), stdout);
      }),
    );
    rows.push(
      await measure(`confvault show+write ${label} (read, unseal, verify, atomic write)`, n, async () => {
        await writeFileAtomic(path.join(base, "restored.xml"), await showFile({ ctx, ref: tag }));
      }),
    );
    rows.push(
      await measure(`confvault restore ${label} (loose)`, n, () =>
        restore({ ctx, ref: tag, reason: "bench", actor: "bench" }),
      ),
    );
  }
  await maintenance({ ctx });
  for (const [label, tag] of [
    ["#10", tags[9]],
    [`#${points}`, tags[points - 1]],
  ] as const) {
    rows.push(
      await measure(`confvault show+write ${label} (packed)`, n, async () => {
        await writeFileAtomic(path.join(base, "restored.xml"), await showFile({ ctx, ref: tag }));
      }),
    );
    rows.push(
      await measure(`confvault restore ${label} (packed, warm)`, n, () =>
        restore({ ctx, ref: tag, reason: "bench", actor: "bench" }),
      ),
    );
    const cold = await openHome({ dir: ctx.layout.dir, env: { CONFVAULT_ACTIVATION_KEY: KEY } });
    await cold.keys();
    rows.push(
      await measure(
        `confvault restore ${label} (packed, cold engine)`,
        1,
        () => restore({ ctx: cold, ref: tag, reason: "bench", actor: "bench" }),
        { warmup: 0 },
      ),
    );
  }
  printTable(
    `restore from a ${points}-point history (full restore: read, unseal, commit, tag, live write; target ≤ 1× git show + write)`,
    rows,
    rows[0].name,
  );
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
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-bench-apply-"));
  try {
    await benchApply(base, 100_000, iterations(30));
    await benchApply(base, 1_000_000, iterations(20));
    await benchApply(base, 10_000_000, iterations(6, 3));
    await benchRestore(base, QUICK ? 200 : 2000);
    peakRss(base);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await run();
