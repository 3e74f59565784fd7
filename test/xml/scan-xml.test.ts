import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";
import type { XmlScan } from "../../src/xml/types.ts";
import { assertSpanIsElement, textAt } from "./span-checks.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function sourceOf(bytes: Uint8Array, scan: XmlScan, path: string, encoding = "utf-8"): string {
  const span = [...scan.sections, ...scan.matches].find((s) => s.path === path);
  assert.ok(span, `no span for ${path}`);
  return textAt(bytes, span.start, span.end, encoding);
}

test("sections and matches carry byte offsets of the element's own source text", () => {
  const bytes = utf8('<?xml version="1.0"?>\n<r>\n  <a x="1">t</a>\n  <b/>\n  <c><d>v</d></c>\n</r>\n');
  const scan = scanXml(bytes, { patterns: ["c/d"] });
  assert.is(scan.rootName, "r");
  assert.is(scan.encoding, "utf-8");
  assert.is(scan.bom, false);
  assert.equal(
    scan.sections.map((s) => s.path),
    ["a", "b", "c"],
  );
  assert.is(sourceOf(bytes, scan, "a"), '<a x="1">t</a>');
  assert.is(sourceOf(bytes, scan, "b"), "<b/>");
  assert.is(sourceOf(bytes, scan, "c/d"), "<d>v</d>");
  const [a, b, c] = scan.sections;
  assert.equal(a.attributes, { x: "1" });
  assert.is(textAt(bytes, a.contentStart, a.contentEnd), "t");
  assert.is(b.contentStart, b.end);
  assert.is(c.hasChildren, true);
  assert.is(a.hasChildren, false);
  assert.is(scan.matches[0].depth, 2);
});

test("patterns starting with // match at any depth, plain ones only from below the root", () => {
  const bytes = utf8("<r><x><secret>1</secret></x><secret>2</secret><y><z><secret>3</secret></z></y></r>");
  assert.equal(
    scanXml(bytes, { patterns: ["//secret"] }).matches.map((m) => m.path),
    ["x/secret", "secret", "y/z/secret"],
  );
  assert.equal(
    scanXml(bytes, { patterns: ["secret"] }).matches.map((m) => m.path),
    ["secret"],
  );
  assert.equal(
    scanXml(bytes, { patterns: ["//z/secret"] }).matches.map((m) => m.path),
    ["y/z/secret"],
  );
});

test("a UTF-8 byte order mark shifts every offset by three bytes", () => {
  const bytes = new Uint8Array([
    0xef,
    0xbb,
    0xbf,
    ...utf8('<?xml version="1.0" encoding="UTF-8"?>\n<r><a>é</a></r>'),
  ]);
  const scan = scanXml(bytes);
  assert.is(scan.bom, true);
  assert.is(sourceOf(bytes, scan, "a"), "<a>é</a>");
  assertSpanIsElement(bytes, scan.sections[0]);
});

test("a UTF-16 document with a byte order mark is scanned with byte offsets two per code unit", () => {
  const bytes = new Uint8Array([
    0xff,
    0xfe,
    ...new Uint8Array(new Uint16Array([..."<r><a>é</a></r>"].map((c) => c.charCodeAt(0))).buffer),
  ]);
  const scan = scanXml(bytes);
  assert.is(scan.encoding, "utf-16le");
  assert.is(scan.bom, true);
  assert.equal([scan.sections[0].start, scan.sections[0].end], [2 + 3 * 2, 2 + 11 * 2]);
  assert.is(
    new TextDecoder("utf-16le").decode(bytes.subarray(scan.sections[0].start, scan.sections[0].end)),
    "<a>é</a>",
  );
});

test("ISO-8859-1, windows-1252 and US-ASCII documents keep byte offsets (one byte per character)", () => {
  for (const encoding of ["ISO-8859-1", "windows-1252", "latin1", "US-ASCII"]) {
    const head = utf8(`<?xml version="1.0" encoding="${encoding}"?>\n<r><n>caf`);
    const tail = utf8('</n><a v="x">t</a></r>');
    const bytes = new Uint8Array([...head, 0xe9, 0x80, ...tail]);
    const scan = scanXml(bytes);
    assert.is(scan.encoding, encoding.toLowerCase());
    assert.is(sourceOf(bytes, scan, "a", "latin1"), '<a v="x">t</a>', encoding);
    assert.is(scan.sections[1].start, head.length + 2 + 4, encoding);
  }
});

test("an unknown declared encoding is refused as UNSUPPORTED_ENCODING", () => {
  try {
    scanXml(utf8('<?xml version="1.0" encoding="EBCDIC-US"?><r/>'));
    assert.unreachable();
  } catch (err: any) {
    assert.is(err.code, "UNSUPPORTED_ENCODING");
    assert.match(err.message, /unsupported encoding "EBCDIC-US"/);
    assert.match(err.hint, /shift_jis/);
  }
});

test("invalid UTF-8 is reported with its line and column", () => {
  const bytes = new Uint8Array([...utf8("<r>\n  <a>ok</a>\n  <b>x"), 0xff, ...utf8("</b>\n</r>")]);
  try {
    scanXml(bytes);
    assert.unreachable();
  } catch (err: any) {
    assert.is(err.code, "XML_MALFORMED");
    assert.equal([err.data.line, err.data.column], [3, 7]);
  }
});

test("a document without a declaration is read as UTF-8", () => {
  const bytes = utf8("<r><a>ü</a><b/></r>");
  const scan = scanXml(bytes);
  assert.is(scan.encoding, "utf-8");
  assert.is(sourceOf(bytes, scan, "b"), "<b/>");
});

test("astral characters before an element keep byte offsets right", () => {
  const bytes = utf8('<r>😀𝄞<a>x</a>é<b c="ü😀"/>中文<c>😀</c>\n<d/></r>');
  const scan = scanXml(bytes);
  assert.equal(
    scan.sections.map((s) => textAt(bytes, s.start, s.end)),
    ["<a>x</a>", '<b c="ü😀"/>', "<c>😀</c>", "<d/>"],
  );
  assert.equal(scan.sections[1].attributes, { c: "ü😀" });
  for (const span of scan.sections) assertSpanIsElement(bytes, span);
});

test("CRLF line ends and a missing final newline keep byte offsets right", () => {
  const bytes = utf8(
    '<?xml version="1.0"?>\r\n<r>\r\n  <s a="1">x\r\ny</s>\r\n  <t\r\n   b="2"\r\n  />\r\n</r>',
  );
  const scan = scanXml(bytes);
  assert.is(sourceOf(bytes, scan, "s"), '<s a="1">x\r\ny</s>');
  assert.is(sourceOf(bytes, scan, "t"), '<t\r\n   b="2"\r\n  />');
  assert.equal(scan.sections[1].attributes, { b: "2" });
});

test("CDATA sections containing ]] do not confuse the offsets", () => {
  const bytes = utf8("<r><s><![CDATA[a]]]]><![CDATA[>b]]></s><t><![CDATA[<not-a-tag/>]]></t></r>");
  const scan = scanXml(bytes);
  assert.is(sourceOf(bytes, scan, "s"), "<s><![CDATA[a]]]]><![CDATA[>b]]></s>");
  assert.is(sourceOf(bytes, scan, "t"), "<t><![CDATA[<not-a-tag/>]]></t>");
  assert.is(scan.sections[1].hasChildren, false);
});

test("namespaced names are kept as written and matched by their prefixed name", () => {
  const bytes = utf8('<r xmlns="urn:a" xmlns:x="urn:x"><x:item x:id="1">v</x:item><plain/></r>');
  const scan = scanXml(bytes, { patterns: ["x:item"] });
  assert.is(scan.matches.length, 1);
  assert.is(sourceOf(bytes, scan, "x:item"), '<x:item x:id="1">v</x:item>');
  assert.equal(scan.matches[0].attributes, { "x:id": "1" });
});

test("internal entities declared in the DOCTYPE are accepted and expanded in attributes", () => {
  const bytes = utf8(
    '<?xml version="1.0"?>\n<!DOCTYPE r [\n  <!-- company -->\n  <!ENTITY co "ACME &amp; Co">\n  <!ENTITY full "&co; Ltd &#169;">\n  <!ENTITY lt2 "&#38;#60;">\n  <!ELEMENT r ANY>\n  <!ATTLIST r a CDATA #IMPLIED>\n]>\n<r><a name="&full;">&full; &lt2;</a><b/></r>',
  );
  const scan = scanXml(bytes);
  assert.equal(scan.sections[0].attributes, { name: "ACME & Co Ltd ©" });
  assert.is(sourceOf(bytes, scan, "a"), '<a name="&full;">&full; &lt2;</a>');
  assert.is(sourceOf(bytes, scan, "b"), "<b/>");
  assert.match(scan.doctype ?? "", /ENTITY co/);
});

test("entity names that exist on Object.prototype are still undefined entities", () => {
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    try {
      scanXml(utf8(`<r>&${name};</r>`));
      assert.unreachable(name);
    } catch (err: any) {
      assert.is(err.code, "XML_MALFORMED", name);
      assert.match(err.message, `undefined entity &${name};`);
    }
  }
});

test("attribute and element names like __proto__ are kept as own data", () => {
  const bytes = utf8('<r><__proto__ __proto__="p" constructor="c">x</__proto__></r>');
  const [span] = scanXml(bytes).sections;
  assert.is(span.name, "__proto__");
  assert.ok(Object.hasOwn(span.attributes, "__proto__"));
  assert.is(Object.getOwnPropertyDescriptor(span.attributes, "__proto__")?.value, "p");
  assert.is(Object.getPrototypeOf(span.attributes), Object.prototype);
});

test.run();
