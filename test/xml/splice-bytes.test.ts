import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { spliceBytes } from "../../src/xml/splice-bytes.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test("replacements given in any order land at their byte ranges", () => {
  const bytes = utf8("0123456789");
  const out = spliceBytes(bytes, [
    { start: 8, end: 10, bytes: utf8("XY") },
    { start: 0, end: 1, bytes: utf8("") },
    { start: 3, end: 3, bytes: utf8("++") },
  ]);
  assert.is(text(out), "12++34567XY");
  assert.is(text(bytes), "0123456789", "input untouched");
});

test("no replacements gives an equal copy", () => {
  const bytes = utf8("<r/>");
  const out = spliceBytes(bytes, []);
  assert.equal(out, bytes);
  assert.is.not(out, bytes);
});

test("overlapping or out-of-range replacements are refused", () => {
  const bytes = utf8("0123456789");
  assert.throws(
    () =>
      spliceBytes(bytes, [
        { start: 2, end: 5, bytes: utf8("") },
        { start: 4, end: 6, bytes: utf8("") },
      ]),
    /overlaps/,
  );
  assert.throws(() => spliceBytes(bytes, [{ start: 5, end: 11, bytes: utf8("") }]), /outside/);
  assert.throws(() => spliceBytes(bytes, [{ start: 5, end: 4, bytes: utf8("") }]), /outside/);
});

test("splicing a section out and back in round-trips byte for byte", () => {
  const bytes = utf8('<?xml version="1.0"?>\r\n<r>\r\n  <a>é😀</a>\r\n  <b x="1"><![CDATA[]]]]></b>\r\n</r>');
  const [, b] = scanXml(bytes).sections;
  const original = bytes.slice(b.start, b.end);
  const replaced = spliceBytes(bytes, [{ start: b.start, end: b.end, bytes: utf8("<b/>") }]);
  assert.is(text(replaced), '<?xml version="1.0"?>\r\n<r>\r\n  <a>é😀</a>\r\n  <b/>\r\n</r>');
  const [, nb] = scanXml(replaced).sections;
  const back = spliceBytes(replaced, [{ start: nb.start, end: nb.end, bytes: original }]);
  assert.equal(back, bytes);
});

test.run();
