import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";
import type { ElementSpan } from "../../src/xml/types.ts";

/** Text of a byte range, decoded the way the document declares. */
export function textAt(bytes: Uint8Array, start: number, end: number, encoding = "utf-8"): string {
  const label = encoding === "utf-8" || encoding === "utf8" ? "utf-8" : "windows-1252";
  return new TextDecoder(label, { ignoreBOM: true }).decode(bytes.subarray(start, end));
}

/** Every element name in a document, as "//name" patterns, so a scan reports every element. */
export function everyElementPattern(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/<([A-Za-z_][\w.:-]*)/g)) names.add(m[1]);
  return [...names].map((n) => `//${n}`);
}

/**
 * Checks a span against the bytes without trusting the scanner: the range must decode to a
 * complete element of that name, its content range must sit between the tags, and the
 * element's bytes must scan on their own as a document with that root.
 */
export function assertSpanIsElement(
  bytes: Uint8Array,
  span: ElementSpan,
  encoding = "utf-8",
  standalone = true,
) {
  const source = textAt(bytes, span.start, span.end, encoding);
  const where = `${span.path} [${span.start}, ${span.end})`;
  assert.ok(
    new RegExp(`^<${escapeRegExp(span.name)}[\\s/>]`).test(source),
    `${where} starts with <${span.name}: ${source.slice(0, 40)}`,
  );
  if (span.contentStart === span.end) {
    assert.ok(source.endsWith("/>"), `${where} self-closing`);
    assert.is(span.contentEnd, span.end);
  } else {
    assert.ok(
      new RegExp(`</${escapeRegExp(span.name)}\\s*>$`).test(source),
      `${where} ends with </${span.name}>`,
    );
    assert.ok(
      textAt(bytes, span.start, span.contentStart, encoding).endsWith(">"),
      `${where} start tag ends with >`,
    );
    assert.ok(
      textAt(bytes, span.contentEnd, span.end, encoding).startsWith(`</${span.name}`),
      `${where} end tag`,
    );
  }
  if (standalone) {
    const own = scanXml(new TextEncoder().encode(source));
    assert.is(own.rootName, span.name, `${where} scans on its own`);
  }
}

function escapeRegExp(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
