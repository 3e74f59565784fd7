import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function refusal(text: string | Uint8Array): {
  code: string;
  message: string;
  data: Record<string, unknown>;
} {
  try {
    scanXml(typeof text === "string" ? utf8(text) : text);
  } catch (err: any) {
    return err;
  }
  throw new Error("expected the scan to fail");
}

function assertMalformedAt(text: string, line: number, column: number, reason: RegExp) {
  const err = refusal(text);
  assert.is(err.code, "XML_MALFORMED", err.message);
  assert.equal([err.data.line, err.data.column], [line, column], err.message);
  assert.match(err.message, new RegExp(`^config\\.xml:${line}:${column}: `));
  assert.match(String(err.data.reason), reason);
}

test("an unclosed tag is reported where it opens", () => {
  assertMalformedAt('<?xml version="1.0"?>\n<r>\n  <a>text', 3, 3, /<a> is never closed/);
});

test("a mismatched end tag is reported where the end tag starts, naming the open tag", () => {
  assertMalformedAt("<r>\n  <a></b>\n</r>", 2, 6, /<\/b> does not match start tag <a> \(line 2, column 3\)/);
  assertMalformedAt("<r>\n  <a>\n</r>", 3, 1, /<\/r> does not match start tag <a>/);
});

test("a bad attribute is reported at the offending character", () => {
  assertMalformedAt("<r>\n  <a x=1/>\n</r>", 2, 8, /unquoted attribute value/);
  assertMalformedAt('<r>\n  <a x="1" x="2"/>\n</r>', 2, 18, /duplicate attribute: x/);
  assertMalformedAt('<r>\n  <a x="1<"/>\n</r>', 2, 10, /"<" is not allowed in an attribute value/);
});

test("text after the root element is reported where it starts", () => {
  assertMalformedAt("<r/>\n  junk\n", 2, 3, /text after the root element/);
});

test("garbage before the declaration is reported at the start of the file", () => {
  assertMalformedAt('garbage<?xml version="1.0"?><r/>', 1, 1, /text before the root element/);
  assertMalformedAt(' <?xml version="1.0"?><r/>', 1, 7, /XML declaration must be at the start/);
});

test("a second root element is reported where it starts", () => {
  assertMalformedAt("<r/>\n<s/>", 2, 1, /second root element/);
});

test("an empty document and a document without a root are refused", () => {
  assertMalformedAt("", 1, 1, /empty/);
  assertMalformedAt("  \n ", 1, 1, /empty/);
  assertMalformedAt('<?xml version="1.0"?>\n<!-- nothing -->\n', 3, 1, /root element/);
});

test('an undefined entity is named in the error, at its "&"', () => {
  assertMalformedAt("<r>\n x &nope; y</r>", 2, 4, /undefined entity &nope;/);
});

const lol = (n: number) => Array.from({ length: 10 }, () => `&lol${n};`).join("");
const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol0 "lol">
${Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${lol(i)}">`).join("\n")}
]>
<lolz>&lol9;</lolz>`;

test("billion laughs is refused in well under a second", () => {
  const started = performance.now();
  const err = refusal(billionLaughs);
  const ms = performance.now() - started;
  assert.is(err.code, "XML_ENTITY_LIMIT", err.message);
  assert.match(err.message, /&lol9;/);
  assert.ok(ms < 200, `took ${ms} ms`);
});

test("billion laughs hidden in an attribute value is refused too", () => {
  assert.is(
    refusal(billionLaughs.replace("<lolz>&lol9;</lolz>", '<lolz a="&lol9;"/>')).code,
    "XML_ENTITY_LIMIT",
  );
});

test("quadratic blowup (one big entity referenced many times) is refused", () => {
  const big = "x".repeat(50_000);
  const refs = "&a;".repeat(100);
  const started = performance.now();
  const err = refusal(`<!DOCTYPE r [<!ENTITY a "${big}">]>\n<r>${refs}</r>`);
  assert.is(err.code, "XML_ENTITY_LIMIT");
  assert.ok(performance.now() - started < 500);
});

test("the expansion limit is configurable", () => {
  const doc = utf8(`<!DOCTYPE r [<!ENTITY a "${"x".repeat(100)}">]>\n<r>&a;&a;</r>`);
  assert.is(scanXml(doc).rootName, "r");
  try {
    scanXml(doc, { maxEntityExpansion: 150 });
    assert.unreachable();
  } catch (err: any) {
    assert.is(err.code, "XML_ENTITY_LIMIT");
  }
});

test("recursive entities are refused", () => {
  const err = refusal('<!DOCTYPE r [<!ENTITY a "&b;"><!ENTITY b "&a;">]>\n<r>&a;</r>');
  assert.is(err.code, "XML_MALFORMED");
  assert.match(err.message, /refers to itself/);
});

test("an external entity declared but never referenced does no harm", () => {
  assert.is(scanXml(utf8('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r/>')).rootName, "r");
});

test("a reference to a SYSTEM file entity is refused and the file is never read", () => {
  const err = refusal('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r>&x;</r>');
  assert.is(err.code, "XML_EXTERNAL_ENTITY");
  assert.match(err.message, /^config\.xml:2:6: reference to external entity "&x;"/);
  assert.not.match(JSON.stringify(err), /root:/);
});

test("external entities over HTTP are refused and never fetched", async () => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end("fetched");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const cases = [
      `<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:${port}/x">]>\n<r>&x;</r>`,
      `<!DOCTYPE r [<!ENTITY x PUBLIC "-//A//B" "http://127.0.0.1:${port}/x">]>\n<r a="&x;"/>`,
      `<!DOCTYPE r [<!ENTITY y SYSTEM "http://127.0.0.1:1/x"><!ENTITY x "via &y;">]>\n<r>&x;</r>`,
      `<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:${port}/p"> %p;]>\n<r/>`,
      `<!DOCTYPE r SYSTEM "http://127.0.0.1:${port}/dtd">\n<r>&fromdtd;</r>`,
    ];
    const codes = cases.map((doc) => refusal(doc).code);
    assert.equal(codes, [
      "XML_EXTERNAL_ENTITY",
      "XML_EXTERNAL_ENTITY",
      "XML_EXTERNAL_ENTITY",
      "XML_EXTERNAL_ENTITY",
      "XML_MALFORMED",
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(requests, 0);
  } finally {
    server.close();
  }
});

test.run();
