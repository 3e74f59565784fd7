/** Small timing helpers for `npm run bench`: medians and ratios measured in one process. */

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
