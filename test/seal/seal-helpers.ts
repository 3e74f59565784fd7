// Small helpers for the seal tests: the real `age` CLI, hand-made element spans, temp dirs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ElementSpan } from "../../src/xml/types.ts";

export const SHARED_FIXTURES = "/work/shared/fixtures/real";
export const hasSharedFixtures = existsSync(SHARED_FIXTURES);

/** Runs a CLI tool; fails the test with a clear message when the tool is not installed. */
export function run(
  cmd: string,
  args: string[],
  input?: Uint8Array | string,
): { stdout: Buffer; stderr: string; status: number } {
  const r = spawnSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(
      `the \`${cmd}\` command is not installed: run \`apt-get install -y age\` (CI installs it)`,
    );
  }
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status ?? -1 };
}

export function tempDir(prefix = "confvault-seal-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Spans of every `<name …>…</name>` in a document (no nesting of the same name), found by
 * plain byte search: enough for tests, not an XML parser.
 */
export function spansOf(bytes: Uint8Array, name: string, path = name): ElementSpan[] {
  const text = Buffer.from(bytes).toString("latin1");
  const out: ElementSpan[] = [];
  const open = new RegExp(`<${name}(\\s[^>]*)?>`, "g");
  for (const m of text.matchAll(open)) {
    const contentStart = m.index + m[0].length;
    const contentEnd = text.indexOf(`</${name}>`, contentStart);
    if (contentEnd === -1) continue;
    const content = text.slice(contentStart, contentEnd);
    out.push({
      path,
      name,
      depth: path.split("/").length,
      start: m.index,
      end: contentEnd + name.length + 3,
      contentStart,
      contentEnd,
      attributes: {},
      hasChildren: /<[A-Za-z_]/.test(content.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "")),
    });
  }
  return out;
}

export function latin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "latin1"));
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
