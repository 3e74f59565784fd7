// Start-up as a user meets it: whole `confvault` processes (the compiled CLI in dist/) against
// `node -e 0`, samples interleaved (A, B, C, D, A, B, …) so machine noise hits every row alike.
// Targets (issue 11): `--help` ≤ 3×, `log -n 1` on a 2,000-point home ≤ 5×, a 1 MB apply ≤ 8×.
// Issue 17: `log -n 20` on 2,000 points ≤ 2× `git for-each-ref --count=20 refs/tags/rp`, both
// cold processes spawned from this same parent, interleaved.
import { spawnSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { applyConfig } from "../../src/api/apply.ts";
import { ROOT, TEST_KEY, tempHome } from "../helpers/temp-home.ts";
import { iterations, printFacts, printTable, QUICK, ShellDriver, sh, summarize } from "./lib.ts";

/** A well-formed config of about `size` bytes; `variant` makes each one a new restore point. */
function config(size: number, variant: number): Uint8Array {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<appliance>",
    `  <revision>${variant}</revision>`,
  ];
  let total = 80;
  for (let i = 0; total < size; i++) {
    const line = `  <rule id="${i}" action="${i % 3 ? "allow" : "deny"}"><host>h${(i * 7919) % 100_003}.example.com</host></rule>`;
    lines.push(line);
    total += line.length + 1;
  }
  lines.push("</appliance>\n");
  return new TextEncoder().encode(lines.join("\n"));
}

function timeProcess(args: string[], env: Record<string, string>, binary = process.execPath): number {
  const start = performance.now();
  const r = spawnSync(binary, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Applies configs in process until the home holds `target` restore points. */
async function grow(home: Awaited<ReturnType<typeof tempHome>>, from: number, target: number): Promise<void> {
  for (let i = from; i < target; i++)
    await applyConfig({
      ctx: home.ctx,
      config: config(2_000, 100_000 + i),
      reason: `change ${i}`,
      actor: "bench",
      noLive: true,
    });
}

export async function run(): Promise<void> {
  const built = spawnSync(process.execPath, ["scripts/build.mjs", "--quiet"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (built.status !== 0) throw new Error("the build failed");
  const points = QUICK ? 200 : 2000;
  const home = await tempHome({ profile: "generic" });
  const small = (i: number) => config(2_000, i);
  const started = performance.now();
  for (let i = 0; i < points; i++)
    await applyConfig({
      ctx: home.ctx,
      config: small(i),
      reason: `change ${i}`,
      actor: "bench",
      noLive: true,
    });
  const historyMs = performance.now() - started;
  const work = path.join(home.dir, "..", "bench");
  await fsp.mkdir(work, { recursive: true });
  const n = iterations(15, 5);
  const bigs: string[] = [];
  for (let i = 0; i < 2 * (n + 1); i++) {
    const file = path.join(work, `big-${i}.xml`);
    await fsp.writeFile(file, config(1 << 20, points + i));
    bigs.push(file);
  }
  const env = { CONFVAULT_HOME: home.dir, CONFVAULT_ACTIVATION_KEY: TEST_KEY, NO_COLOR: "1" };
  const bin = path.join(ROOT, "bin/confvault.js");
  // The same processes also run from the small shell driver (test/bench/drivers/timed-shell.sh):
  // spawned from this benchmark process, which holds a 2,000-point engine in memory, every
  // fork costs more than from a shell, and git's short runs suffer most.
  const gitEnv = { GIT_CONFIG_NOSYSTEM: "1", HOME: home.dir };
  const driver = new ShellDriver(ROOT, { PATH: process.env.PATH ?? "", ...env, ...gitEnv });
  const node = sh(process.execPath);
  const rows: Record<string, number[]> = {
    "node -e 0": [],
    "--help": [],
    "log -n 1": [],
    "apply 1 MB": [],
    "node -e 0 (shell driver)": [],
    "--help (shell driver)": [],
    "log -n 1 (shell driver)": [],
    "apply 1 MB (shell driver)": [],
  };
  for (let i = 0; i < n + 1; i++) {
    const sample = {
      "node -e 0": timeProcess(["-e", "0"], env),
      "node -e 0 (shell driver)": await driver.time(`${node} -e 0`),
      "--help": timeProcess([bin, "--help"], env),
      "--help (shell driver)": await driver.time(`${node} ${sh(bin)} --help`),
      "log -n 1": timeProcess([bin, "log", "-n", "1"], env),
      "log -n 1 (shell driver)": await driver.time(`${node} ${sh(bin)} log -n 1`),
      "apply 1 MB": timeProcess([bin, "apply", bigs[i]!, "-m", `bench ${i}`], env),
      "apply 1 MB (shell driver)": await driver.time(
        `${node} ${sh(bin)} apply ${sh(bigs[n + 1 + i]!)} -m 'bench d${i}'`,
      ),
    };
    if (i === 0) continue; // the first round warms the page cache
    for (const [k, v] of Object.entries(sample)) rows[k]!.push(v);
  }
  printFacts("start-up setting", [
    ["restore points", points],
    ["history built in", `${(historyMs / 1000).toFixed(1)} s (in process)`],
    ["targets", "--help ≤ 3×, log -n 1 ≤ 5×, apply 1 MB ≤ 8× node -e 0"],
  ]);
  printTable(
    "whole processes, interleaved (ratio vs node -e 0)",
    Object.entries(rows).map(([k, v]) => summarize(k, v)),
    "node -e 0",
  );

  const med = (k: string) => summarize(k, rows[k]!).median;
  printFacts(
    "ratios vs node -e 0 from the shell driver (same run)",
    ["--help", "log -n 1", "apply 1 MB"].map((k): [string, string] => [
      k,
      `${(med(`${k} (shell driver)`) / med("node -e 0 (shell driver)")).toFixed(2)}×`,
    ]),
  );

  // Listing near the limit: 2,000 points, `log -n 20` against git's own cheapest listing.
  const many = 2000;
  const have = points + n + 1;
  const grownAt = performance.now();
  await grow(home, have, many);
  const growMs = performance.now() - grownAt;
  const gitdir = home.ctx.layout.gitdir;
  const list: Record<string, number[]> = {
    "git for-each-ref --count=20": [],
    "log -n 20": [],
    "log -n 1": [],
    "node -e 0": [],
    "git for-each-ref --count=20 (shell driver)": [],
    "log -n 20 (shell driver)": [],
    "log -n 1 (shell driver)": [],
  };
  const m = iterations(15, 7);
  let firstLog = 0;
  for (let i = 0; i < m + 1; i++) {
    const sample = {
      "git for-each-ref --count=20": timeProcess(
        [`--git-dir=${gitdir}`, "for-each-ref", "--count=20", "refs/tags/rp"],
        gitEnv,
        "git",
      ),
      "log -n 20": timeProcess([bin, "log", "-n", "20"], env),
      "log -n 1": timeProcess([bin, "log", "-n", "1"], env),
      "node -e 0": timeProcess(["-e", "0"], env),
      "git for-each-ref --count=20 (shell driver)": await driver.time(
        `git --git-dir=${sh(gitdir)} for-each-ref --count=20 refs/tags/rp`,
      ),
      "log -n 20 (shell driver)": await driver.time(`${node} ${sh(bin)} log -n 20`),
      "log -n 1 (shell driver)": await driver.time(`${node} ${sh(bin)} log -n 1`),
    };
    if (i === 0) {
      firstLog = sample["log -n 20"];
      continue;
    }
    for (const [k, v] of Object.entries(sample)) list[k]!.push(v);
  }
  printFacts("listing setting", [
    ["restore points", many],
    ["grown in", `${(growMs / 1000).toFixed(1)} s (in process, from ${have})`],
    ["first log -n 20 (unmeasured)", `${firstLog.toFixed(0)} ms`],
    ["target", "log -n 20 ≤ 2× git for-each-ref --count=20 refs/tags/rp"],
  ]);
  printTable(
    "cold listing processes at 2,000 points, interleaved (ratio vs git for-each-ref)",
    Object.entries(list).map(([k, v]) => summarize(k, v)),
    "git for-each-ref --count=20",
  );
  const ratio = (a: string, b: string) =>
    (summarize(a, list[a]!).median / summarize(b, list[b]!).median).toFixed(2);
  printFacts("ratios at 2,000 points (same run)", [
    [
      "log -n 20 / git for-each-ref, both spawned from here",
      `${ratio("log -n 20", "git for-each-ref --count=20")}×`,
    ],
    [
      "log -n 20 / git for-each-ref, both from the shell driver",
      `${ratio("log -n 20 (shell driver)", "git for-each-ref --count=20 (shell driver)")}×`,
    ],
  ]);
  driver.close();
  await home.cleanup();
}
