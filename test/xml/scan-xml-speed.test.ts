import { existsSync, readFileSync } from "node:fs";
import { SaxesParser } from "saxes";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";

const REAL = "/work/shared/fixtures/real/safesquid-config.xml";
const SAMPLE = new URL("../../templates/sample/safesquid-config.xml", import.meta.url);

/** A config of about `size` bytes: the sample's sections repeated inside one root. */
function configOfSize(size: number, nonAscii = false): Uint8Array {
  const source = readFileSync(existsSync(REAL) ? REAL : SAMPLE, "utf8");
  const inner = source.slice(
    source.indexOf(">", source.indexOf("<safesquid")) + 1,
    source.lastIndexOf("</safesquid>"),
  );
  const block = nonAscii ? inner.replace(/<comment>/g, "<comment>Größe 😀 ") : inner;
  const parts = ['<?xml version="1.0" ?>\n<safesquid>'];
  let length = parts[0].length;
  while (length < size) {
    parts.push(block);
    length += block.length;
  }
  parts.push("</safesquid>\n");
  return new TextEncoder().encode(parts.join(""));
}

function medianMs(run: () => void, times: number): number {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

test("scan speed for 100 KB, 1 MB and 10 MB configs (printed, not asserted)", () => {
  const lines: string[] = [];
  for (const [label, size, times] of [
    ["100 KB", 100_000, 21],
    ["1 MB", 1_000_000, 11],
    ["10 MB", 10_000_000, 3],
  ] as const) {
    for (const nonAscii of [false, true]) {
      const bytes = configOfSize(size, nonAscii);
      const scan = scanXml(bytes, { patterns: ["//ldappassword", "//anonpass"] });
      assert.ok(scan.sections.length > 0);
      const ms = medianMs(() => scanXml(bytes, { patterns: ["//ldappassword", "//anonpass"] }), times);
      const text = new TextDecoder().decode(bytes);
      const bare = medianMs(() => {
        const parser = new SaxesParser();
        parser.on("opentag", () => {});
        parser.write(text).close();
      }, times);
      lines.push(
        `  scanXml ${label}${nonAscii ? " (non-ASCII)" : ""}: ${ms.toFixed(1)} ms (${(bytes.length / 1e6).toFixed(2)} MB; bare saxes on decoded text ${bare.toFixed(1)} ms)`,
      );
    }
  }
  console.log(`\n${lines.join("\n")}`);
});

test.run();
