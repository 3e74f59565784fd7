// The well-formedness scan on the apply path: raw saxes (no handlers) against the saxes scan
// scanXml used to be (now the fallback, forced here) and scanXml with its fast path, at
// 100 KB / 1 MB / 10 MB, on ASCII configs and on configs with non-ASCII text in comments.
// Target: scanXml ≤ 0.25× raw saxes (≈ 6 ms per MB where saxes takes 24 ms).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SaxesParser } from "saxes";
import { decodeXmlBytes } from "../../src/xml/decode-xml-bytes.ts";
import { fastScan } from "../../src/xml/fast-scan.ts";
import { scanDocument } from "../../src/xml/scan-document.ts";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { sizedConfig } from "./apply.bench.ts";
import { iterations, printFacts, printTable, summarize } from "./lib.ts";

const PATTERNS = { patterns: ["//ldappassword", "//anonpass"] };

/** The generated config with a few words of non-ASCII text in every 10th rule's comment. */
function withNonAscii(bytes: Uint8Array): Uint8Array {
  const text = new TextDecoder()
    .decode(bytes)
    .replace(/<comment>generated rule (\d*0) /g, "<comment>Größe 😀 rule $1 ");
  return new TextEncoder().encode(text);
}

/**
 * Runs the three scans interleaved (raw, old, new, raw, …) so that load from other processes
 * hits all of them alike; the ratio column is what to read on a busy machine.
 */
function compare(label: string, bytes: Uint8Array, n: number): void {
  const text = new TextDecoder().decode(bytes);
  if (fastScan(decodeXmlBytes(bytes), PATTERNS) === null) throw new Error(`${label}: the fast path gave up`);
  const runs = {
    raw: () => new SaxesParser().write(text).close(),
    old: () => scanDocument(bytes, PATTERNS),
    new: () => scanXml(bytes, PATTERNS),
  };
  const samples: Record<keyof typeof runs, number[]> = { raw: [], old: [], new: [] };
  const warmup = 3;
  for (let i = 0; i < warmup + n; i++) {
    for (const key of Object.keys(runs) as Array<keyof typeof runs>) {
      const start = performance.now();
      runs[key]();
      const elapsed = performance.now() - start;
      if (i >= warmup) samples[key].push(elapsed);
    }
  }
  printTable(
    `XML scan of a ${label} config (${(bytes.length / 1e6).toFixed(2)} MB; target: scanXml ≤ 0.25× raw saxes)`,
    [
      summarize("raw saxes (write+close, no handlers)", samples.raw),
      summarize("old scanXml (saxes path, forced)", samples.old),
      summarize("new scanXml (fast path)", samples.new),
    ],
    "raw saxes (write+close, no handlers)",
  );
}

export async function run(): Promise<void> {
  for (const [label, size, n] of [
    ["100 KB", 100_000, iterations(60)],
    ["1 MB", 1_000_000, iterations(30)],
    ["10 MB", 10_000_000, iterations(6, 3)],
  ] as const) {
    const ascii = sizedConfig(size, 0);
    compare(`${label} ASCII`, ascii, n);
    compare(`${label} non-ASCII`, withNonAscii(ascii), n);
  }
  const bytes = sizedConfig(1_000_000, 0);
  const decoded = decodeXmlBytes(bytes);
  const time = (fn: () => unknown) =>
    summarize(
      "",
      Array.from({ length: iterations(30) }, () => {
        const start = performance.now();
        fn();
        return performance.now() - start;
      }),
    ).median;
  printFacts("1 MB ASCII, parts of the new scan (median ms)", [
    ["decode (TextDecoder, fatal)", time(() => decodeXmlBytes(bytes)).toFixed(2)],
    ["fast tokenizer incl. XML Char check", time(() => fastScan(decoded, PATTERNS)).toFixed(2)],
  ]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await run();
