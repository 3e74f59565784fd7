// Engine benchmarks: commit+tag vs the git CLI vs the I/O floor; restore reads over a
// 2,000-point history (loose and packed, cold and warm) vs `git show`; repository growth.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { deflateSync } from "node:zlib";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import type { Person, RepoEngine } from "../../src/repo/engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { gitTestEnv, tempDir } from "../helpers/git-cli.ts";
import { iterations, measure, mib, printFacts, printTable, QUICK, type Timing } from "./lib.ts";

const run$ = promisify(execFile);
const who: Person = { name: "Bench", email: "bench@example.invalid", timestamp: 1_790_000_000 };

function git(args: string[], cwd?: string) {
  return run$("git", args, { cwd, env: gitTestEnv, maxBuffer: 1 << 30, encoding: "buffer" });
}

function engineFor(gitdir: string, durable = true): RepoEngine {
  return createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }), durable });
}

/** An XML-ish config of about `size` bytes; `variant` changes a few bytes so every commit is new. */
function makeConfig(size: number, variant: number): Buffer {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', "<safesquid>"];
  let total = 60;
  for (let i = 0; total < size; i++) {
    const line = `  <rule id="${i}" action="${i % 3 ? "allow" : "deny"}" host="host${(i * 7919) % 100_003}.example.com" profile="p${i % 17}"/>`;
    lines.push(line);
    total += line.length + 1;
  }
  lines.push(`  <revision n="${variant}"/>`, "</safesquid>");
  const out = Buffer.from(lines.join("\n")).subarray(0, size);
  out.write(`<!--${String(variant).padStart(8, "0")}-->`, Math.floor(size / 2));
  return out;
}

function makeManifest(config: Buffer): Buffer {
  const sha = createHash("sha256").update(config).digest("hex");
  return Buffer.from(
    JSON.stringify({ format: 1, profile: "safesquid", files: { "config.xml": { sha256: sha } } }, null, 2),
  );
}

/** sha1 + deflate level 1 + write + fsync of each file: what no implementation can beat. */
function floorWrite(dir: string, files: Buffer[], i: number): void {
  files.forEach((bytes, k) => {
    const header = Buffer.from(`blob ${bytes.length}\0`);
    createHash("sha1").update(header).update(bytes).digest("hex");
    const deflated = deflateSync(Buffer.concat([header, bytes]), { level: 1 });
    const fd = fs.openSync(join(dir, `floor-${i}-${k}`), "w");
    fs.writeSync(fd, deflated);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  });
}

async function benchCommit(size: number, n: number): Promise<Timing[]> {
  const dir = tempDir("confvault-bench-commit-");
  try {
    const configs = Array.from({ length: n + 1 }, (_, i) => makeConfig(size, i));
    const manifests = configs.map(makeManifest);

    const engine = engineFor(join(dir.path, "engine.git"));
    await engine.init();
    let tip: string | null = null;
    const engineTiming = await measure("engine commit+tag", n, async (_, i) => {
      tip = await engine.commitFiles({
        branch: "main",
        files: { "config.xml": configs[i]!, "manifest.json": manifests[i]! },
        message: `apply ${i}`,
        author: { ...who, timestamp: who.timestamp + i },
        expectedParent: tip,
        tag: { name: `rp/bench-${i}`, message: `restore point ${i}` },
      });
    });

    const engine2 = engineFor(join(dir.path, "engine2.git"));
    await engine2.init();
    let tip2: string | null = null;
    const separate = await measure("engine commit, then createTag", n, async (_, i) => {
      tip2 = await engine2.commitFiles({
        branch: "main",
        files: { "config.xml": configs[i]!, "manifest.json": manifests[i]! },
        message: `apply ${i}`,
        author: { ...who, timestamp: who.timestamp + i },
        expectedParent: tip2,
      });
      await engine2.createTag({
        name: `rp/bench-${i}`,
        commit: tip2,
        message: `restore point ${i}`,
        tagger: who,
      });
    });

    const work = join(dir.path, "cli");
    fs.mkdirSync(work);
    await git(["init", "-q", "-b", "main", work]);
    const cliTiming = await measure("git CLI write+add+commit+tag", n, async (_, i) => {
      fs.writeFileSync(join(work, "config.xml"), configs[i]!);
      fs.writeFileSync(join(work, "manifest.json"), manifests[i]!);
      await git(["add", "config.xml", "manifest.json"], work);
      await git(["commit", "-q", "-m", `apply ${i}`], work);
      await git(["tag", "-a", `rp/bench-${i}`, "-m", `restore point ${i}`], work);
    });

    const floorDir = join(dir.path, "floor");
    fs.mkdirSync(floorDir);
    const floor = await measure("floor sha1+deflate1+write+fsync", n, (_, i) =>
      floorWrite(floorDir, [configs[i]!, manifests[i]!], i),
    );
    return [cliTiming, engineTiming, separate, floor];
  } finally {
    dir.cleanup();
  }
}

async function dirBytes(path: string): Promise<{ apparent: number; disk: number }> {
  let apparent = 0;
  let disk = 0;
  for (const entry of await fs.promises.readdir(path, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const st = await fs.promises.stat(join(entry.parentPath, entry.name));
    apparent += st.size;
    disk += st.blocks * 512;
  }
  return { apparent, disk };
}

async function benchHistory(): Promise<void> {
  const points = 2000;
  const dir = tempDir("confvault-bench-history-");
  const gitdir = join(dir.path, "repo.git");
  try {
    const builder = engineFor(gitdir, false);
    await builder.init();
    const base = makeConfig(20 * 1024, 0)
      .toString("latin1")
      .split("\n");
    const configFor = (i: number) => {
      const lines = [...base];
      const at = 2 + ((i * 37) % (lines.length - 4));
      lines[at] = `  <rule id="changed-${i}" action="allow" host="edit${i}.example.com"/>`;
      return Buffer.from(lines.join("\n"), "latin1");
    };
    const start = performance.now();
    let tip: string | null = null;
    const configs: Buffer[] = [];
    for (let i = 1; i <= points; i++) {
      const config = configFor(i);
      configs[i] = config;
      tip = await builder.commitFiles({
        branch: "main",
        files: { "config.xml": config, "manifest.json": makeManifest(config) },
        message: `apply ${i}`,
        author: { ...who, timestamp: who.timestamp + i },
        expectedParent: tip,
        tag: { name: `rp/p${String(i).padStart(4, "0")}`, message: `restore point ${i}` },
      });
    }
    const buildMs = performance.now() - start;
    const loose = await dirBytes(gitdir);

    const n = iterations(30, 8);
    const readRows = async (state: string): Promise<Timing[]> => {
      const rows: Timing[] = [];
      for (const point of [10, points]) {
        const tag = `rp/p${String(point).padStart(4, "0")}`;
        const expected = configs[point]!;
        const check = (bytes: Uint8Array) => {
          if (!Buffer.from(bytes).equals(expected)) throw new Error(`wrong bytes for ${tag}`);
        };
        rows.push(
          await measure(`git show ${tag}:config.xml (${state})`, n, async () => {
            check((await git([`--git-dir=${gitdir}`, "show", `${tag}:config.xml`])).stdout);
          }),
        );
        const warm = engineFor(gitdir);
        rows.push(
          await measure(
            `engine warm #${point} (${state})`,
            n,
            async () => check(await warm.readFile(tag, "config.xml")),
            {
              warmup: 2,
            },
          ),
        );
        rows.push(
          await measure(`engine cold #${point} (${state})`, n, async () => {
            check(await engineFor(gitdir).readFile(tag, "config.xml"));
          }),
        );
      }
      return rows;
    };

    const looseRows = await readRows("loose");
    const gcStart = performance.now();
    const stats = await builder.maintenance();
    const gcMs = performance.now() - gcStart;
    const packed = await dirBytes(gitdir);
    const packedRows = await readRows("packed");

    printTable(`restore read of config.xml, ${points}-point history, 20 KB configs (loose)`, looseRows);
    printTable(
      `restore read of config.xml, ${points}-point history, 20 KB configs (after maintenance)`,
      packedRows,
    );
    printFacts(
      `repository after ${points} applies (config.xml 20 KB, one line changed each + manifest.json)`,
      [
        [
          "build time (engine, no fsync)",
          `${(buildMs / 1000).toFixed(1)} s (${(buildMs / points).toFixed(2)} ms per commit+tag)`,
        ],
        ["loose: apparent / on disk", `${mib(loose.apparent)} / ${mib(loose.disk)}`],
        ["after maintenance: apparent / on disk", `${mib(packed.apparent)} / ${mib(packed.disk)}`],
        ["per restore point once packed", `${(packed.apparent / points / 1024).toFixed(2)} KiB`],
        ["maintenance (git gc) time", `${(gcMs / 1000).toFixed(1)} s`],
        ["loose objects before → after", `${stats.looseBefore} → ${stats.looseAfter}`],
        ["objects size before → after (count-objects)", `${mib(stats.sizeBefore)} → ${mib(stats.sizeAfter)}`],
      ],
    );
  } finally {
    dir.cleanup();
  }
}

export async function run(): Promise<void> {
  const sizes: Array<[string, number, number]> = [
    ["100 KB", 100 * 1024, iterations(30, 6)],
    ["1 MB", 1024 * 1024, iterations(20, 5)],
    ["10 MB", 10 * 1024 * 1024, iterations(8, 3)],
  ];
  for (const [label, size, n] of sizes) {
    const rows = await benchCommit(size, n);
    printTable(`commit+tag of config.xml (${label}) + manifest.json`, rows, rows[0]!.name);
  }
  if (QUICK) console.log("\n(BENCH_QUICK: history reads use fewer iterations)");
  await benchHistory();
}
