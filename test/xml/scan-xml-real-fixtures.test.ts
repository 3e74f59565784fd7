import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { assertSpanIsElement, everyElementPattern, textAt } from "./span-checks.ts";

// Real appliance configs live outside the repository (no licence to copy them in).
const FIXTURES = "/work/shared/fixtures/real";
const files = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith(".xml")) : [];

if (files.length === 0) {
  test.skip("real appliance configs give exact byte offsets for every element (fixtures folder missing)", () => {});
}

for (const file of files) {
  test(`${file}: every element's byte range decodes to exactly that element`, () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, file)));
    const text = new TextDecoder().decode(bytes);
    const scan = scanXml(bytes, { patterns: everyElementPattern(text) });
    assert.ok(scan.sections.length > 0);
    const elementCount = [...text.matchAll(/<[A-Za-z_][\w.:-]*[\s/>]/g)].length;
    assert.ok(
      scan.matches.length >= elementCount - 1 - countInCdataOrComments(text),
      `${file}: ${scan.matches.length} of ${elementCount}`,
    );
    let previous = -1;
    for (const span of scan.matches) {
      assert.ok(span.start > previous, "document order");
      previous = span.start;
      assertSpanIsElement(bytes, span, scan.encoding, span.depth <= 2);
    }
    for (const section of scan.sections) {
      assert.ok(textAt(bytes, section.start, section.end, scan.encoding).startsWith(`<${section.name}`));
    }
  });
}

function countInCdataOrComments(text: string): number {
  let n = 0;
  for (const block of text.matchAll(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g)) {
    n += [...block[0].matchAll(/<[A-Za-z_][\w.:-]*[\s/>]/g)].length;
  }
  return n;
}

test.run();
