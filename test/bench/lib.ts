/** Small timing helpers for `npm run bench`: medians and ratios measured in one process. */
import { spawn as spawnChild } from "node:child_process";

export const QUICK = process.env.BENCH_QUICK === "1";

/** Iterations: `full` normally, `quick` under BENCH_QUICK=1. */
export function iterations(full: number, quick = Math.max(3, Math.ceil(full / 5))): number {
  return QUICK ? quick : full;
}

export interface Timing {
  name: string;
  samples: number[];
  median: number;
  p99: number;
  min: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

export function summarize(name: string, samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    samples,
    median: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    min: sorted[0] ?? Number.NaN,
  };
}

/**
 * Runs `fn` `n` times (after `warmup` unmeasured runs) and times each run in ms. `setup` runs
 * before each iteration outside the timing and its result is handed to `fn`.
 */
export async function measure<S = void>(
  name: string,
  n: number,
  fn: (state: S, i: number) => Promise<unknown> | unknown,
  options: { warmup?: number; setup?: (i: number) => Promise<S> | S } = {},
): Promise<Timing> {
  const warmup = options.warmup ?? 1;
  const samples: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const state = options.setup ? await options.setup(i) : (undefined as S);
    const start = performance.now();
    await fn(state, i);
    const elapsed = performance.now() - start;
    if (i >= warmup) samples.push(elapsed);
  }
  return summarize(name, samples);
}

function fmt(ms: number): string {
  if (!Number.isFinite(ms)) return "-";
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/**
 * Prints a table of medians and p99s with each row's median as a ratio of the baseline row's
 * median (the baseline is the row named `baseline`, or the first row).
 */
export function printTable(title: string, rows: Timing[], baseline?: string): void {
  const base = rows.find((r) => r.name === baseline) ?? rows[0];
  const baseName = base?.name ?? "";
  const width = Math.max(10, ...rows.map((r) => r.name.length));
  const lines = [
    `\n${title}`,
    `${"".padEnd(width)}  ${"median ms".padStart(10)}  ${"p99 ms".padStart(9)}  ${"n".padStart(4)}  ratio vs ${baseName}`,
  ];
  for (const r of rows) {
    const ratio = base && base.median > 0 ? `${(r.median / base.median).toFixed(2)}×` : "-";
    lines.push(
      `${r.name.padEnd(width)}  ${fmt(r.median).padStart(10)}  ${fmt(r.p99).padStart(9)}  ${String(r.samples.length).padStart(4)}  ${ratio}`,
    );
  }
  console.log(lines.join("\n"));
}

/** Prints plain key/value facts (sizes, counts) under a title. */
export function printFacts(title: string, facts: Array<[string, string | number]>): void {
  const width = Math.max(...facts.map(([k]) => k.length));
  console.log(`\n${title}\n${facts.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")}`);
}

export function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

/**
 * The git baseline's runner: `drivers/timed-shell.sh`, one small bash process spawned once per
 * benchmark, which runs each command it is sent and reports how long it took. Git is then
 * forked from a ~4 MB shell, as a user runs it, instead of from this benchmark process (the
 * issue 17 measurement: the same git write+add+commit+tag takes 18–43 ms from a 48 MB Node
 * parent and 61–91 ms from a 450 MB one).
 */
export class ShellDriver {
  private readonly proc: import("node:child_process").ChildProcessWithoutNullStreams;
  private buffer = "";
  private waiting: Array<(line: string) => void> = [];

  constructor(cwd: string, env: Record<string, string | undefined>) {
    const script = new URL("./drivers/timed-shell.sh", import.meta.url).pathname;
    this.proc = spawnChild("/bin/bash", [script], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout.setEncoding("utf8");
    this.proc.stdout.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  /** Runs one shell command line in the driver; resolves to its time in ms (throws on a non-zero exit). */
  async time(command: string): Promise<number> {
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin.write(`${command.replace(/\n/g, " ")}\n`);
    });
    const [rc, us] = line.split(" ").map(Number);
    if (rc !== 0) throw new Error(`driver: \`${command}\` exited ${rc}`);
    return us! / 1000;
  }

  close(): void {
    this.proc.stdin.end();
  }
}

/** Quotes one word for the shell driver. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * Interleaved samples: `rounds` rounds (after `warmup` unmeasured ones), each running every
 * contender once, the order rotated by one per round so a load change or a warm cache does not
 * favour one row. Each contender times itself (untimed setup first) and returns ms.
 */
export async function interleave(
  rounds: number,
  contenders: Array<[string, (round: number) => Promise<number>]>,
  warmup = 1,
): Promise<Timing[]> {
  const samples = contenders.map((): number[] => []);
  for (let r = 0; r < warmup + rounds; r++)
    for (let k = 0; k < contenders.length; k++) {
      const c = (r + k) % contenders.length;
      const ms = await contenders[c]![1](r);
      if (r >= warmup) samples[c]!.push(ms);
    }
  return contenders.map(([name], c) => summarize(name, samples[c]!));
}

/** Times one call in ms. */
export async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
