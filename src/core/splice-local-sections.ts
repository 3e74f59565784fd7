import { scanXml } from "../xml/scan-xml.ts";
import { spliceBytes } from "../xml/splice-bytes.ts";
import type { ElementSpan } from "../xml/types.ts";

function exactPath(pattern: string): string {
  return pattern.startsWith("//") ? pattern.slice(2) : pattern;
}

function matching(spans: ElementSpan[], pattern: string): ElementSpan[] {
  if (pattern.startsWith("//")) {
    const suffix = pattern.slice(2);
    return spans.filter((s) => s.path === suffix || s.path.endsWith(`/${suffix}`));
  }
  return spans.filter((s) => s.path === pattern);
}

/** Start of the whitespace-only run before `start` on its line, so a removed element leaves no blank line. */
export function lineStart(bytes: Uint8Array, start: number): number {
  let i = start;
  while (i > 0 && (bytes[i - 1] === 0x20 || bytes[i - 1] === 0x09)) i--;
  if (i > 0 && bytes[i - 1] === 0x0a) {
    i--;
    if (i > 0 && bytes[i - 1] === 0x0d) i--;
    return i;
  }
  return start;
}

/**
 * The master's config with this node's own bytes for each node-local section: a section both
 * have gets the node's bytes; a section only the master has is dropped (not inherited); a section
 * only the node has is kept, placed at the end of its parent. Everything else stays byte-exact.
 */
export function spliceLocalSections(
  master: Uint8Array,
  local: Uint8Array,
  sectionPaths: readonly string[],
): Uint8Array {
  if (sectionPaths.length === 0) return master;
  const parents = sectionPaths
    .map((p) => exactPath(p).split("/").slice(0, -1).join("/"))
    .filter((p) => p !== "");
  const patterns = [...new Set([...sectionPaths, ...parents])];
  const m = scanXml(master, { patterns });
  const l = scanXml(local, { patterns });
  const replacements: { start: number; end: number; bytes: Uint8Array }[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (start: number, end: number) => taken.some(([s, e]) => start < e && end > s);
  for (const pattern of sectionPaths) {
    const ms = matching(m.matches, pattern);
    const ls = matching(l.matches, pattern);
    for (let i = 0; i < Math.max(ms.length, ls.length); i++) {
      const a = ms[i];
      const b = ls[i];
      if (a && overlaps(a.start, a.end)) continue;
      if (a && b) {
        replacements.push({ start: a.start, end: a.end, bytes: local.subarray(b.start, b.end) });
        taken.push([a.start, a.end]);
      } else if (a) {
        const start = lineStart(master, a.start);
        replacements.push({ start, end: a.end, bytes: new Uint8Array(0) });
        taken.push([start, a.end]);
      } else if (b) {
        const parentPath = b.path.split("/").slice(0, -1).join("/");
        let at: number;
        if (parentPath === "") {
          at = new TextDecoder("latin1").decode(master).lastIndexOf(`</${m.rootName}`);
        } else {
          const parent = m.matches.find((s) => s.path === parentPath);
          if (!parent || parent.contentEnd === parent.end) continue;
          at = parent.contentEnd;
        }
        if (at < 0) continue;
        const indentStart = lineStart(local, b.start);
        const piece = local.subarray(indentStart, b.end);
        const insertAt = lineStart(master, at);
        replacements.push({ start: insertAt, end: insertAt, bytes: piece });
      }
    }
  }
  return replacements.length === 0 ? master : spliceBytes(master, replacements);
}
