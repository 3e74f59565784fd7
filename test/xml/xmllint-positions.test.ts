import { spawnSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { ROOT, SHARED_FIXTURES, sharedFixturesAvailable } from "../helpers/temp-home.ts";

/*
 * Differential test: for malformed documents, the line confvault reports equals the line of
 * xmllint's first error (libxml2, Debian's libxml2-utils), and both accept the same documents.
 * Mutations put the common mistakes (bare "&", unterminated and undeclared references, bad
 * character references, "<" in attribute values) into real appliance files at seeded spots.
 */

const haveXmllint = spawnSync("xmllint", ["--version"], { stdio: "ignore" }).status === 0;
if (!haveXmllint)
  console.log("  xmllint is not installed (apt-get install libxml2-utils): differential tests skipped");
const haveShared = await sharedFixturesAvailable();
if (!haveShared) console.log(`  ${SHARED_FIXTURES} is absent: the mutated real files are skipped`);

/** xmllint's first error line, or null when it accepts the document. */
function xmllintLine(bytes: Uint8Array): number | null {
  const r = spawnSync("xmllint", ["--noout", "--nonet", "-"], { input: bytes, encoding: "utf8" });
  if (r.status === 0) return null;
  const m = /^-:(\d+): /m.exec(r.stderr);
  if (!m) throw new Error(`xmllint failed without a line: ${r.stderr}`);
  return Number(m[1]);
}

function ourLine(bytes: Uint8Array): { line: number | null; message: string } {
  try {
    scanXml(bytes);
    return { line: null, message: "accepted" };
  } catch (err) {
    if (!isConfvaultError(err)) throw err;
    return { line: err.data.line as number, message: `${err.code} ${err.message}` };
  }
}

function agree(bytes: Uint8Array, label: string): { line: number | null; message: string } {
  const theirs = xmllintLine(bytes);
  const ours = ourLine(bytes);
  assert.is(ours.line, theirs, `${label}: confvault says ${ours.message}; xmllint says line ${theirs}`);
  return ours;
}

const enc = (s: string) => new TextEncoder().encode(s);

const SYNTHETIC: [string, RegExp][] = [
  ["<r>\n  <b>a & b</b>\n  <c>x</c>\n</r>\n", /2:8: bare "&" in text/],
  ['<r>\n  <e name="Enewetak & Ujelang"/>\n  <c>x;</c>\n</r>\n', /2:21: bare "&" in an attribute value/],
  ["<r>\n  <e>a &\n</e>\n</r>\n", /2:8: bare "&"/],
  ['<r>\n <e a="x &#38; y"/> <e a="&;"/>\n</r>\n', /2:27: bare "&"/],
  ['<r>\n  <e name="a < b"/>\n</r>\n', /2:14: "<" is not allowed in an attribute value/],
  ["<r>\n  <e>&amp</e>\n  <f>x</f>\n</r>\n", /2:6: reference "&amp" is not terminated by ";"/],
  ["<r>\n  <e>&amp\n</e>\n</r>\n", /2:6: reference "&amp" is not terminated/],
  ["<r>\n  <e>&nbsp;</e>\n</r>\n", /2:6: undefined entity &nbsp;/],
  ['<r>\n  <e a="&foo;"/>\n</r>\n', /2:9: undefined entity &foo;/],
  ["<r>\n  <e>&#xZZ;</e>\n</r>\n", /2:6: malformed character reference "&#xZZ;"/],
  ["<r>\n  <e>&#12</e>\n</r>\n", /2:6: malformed character reference "&#12"/],
  ["<r>\n  <e>&#0;</e>\n</r>\n", /2:6: character reference &#0; is not an XML character/],
  [
    "<r>\n<!-- a & b < c -->\n<![CDATA[ & < ]]>\n<?pi & ?>\n  <e a='it&apos;s &amp; &#x26;'>&lt;</e>\n  <f>x & y</f>\n</r>\n",
    /6:8: bare "&" in text/,
  ],
  [
    '<!DOCTYPE r [\n<!ENTITY co "Example &amp; Co">\n]>\n<r>\n  <e>&co; &amp; &co</e>\n</r>\n',
    /5:17: reference "&co" is not terminated/,
  ],
  [
    '<!DOCTYPE r [\n<!ENTITY co "Example">\n]>\n<r>\n  <e>&co; &other;</e>\n</r>\n',
    /5:11: undefined entity &other;/,
  ],
  // Not reference errors: the first problem is elsewhere, and stays reported there.
  ["<r>\n  <a>x</b>\n  <c>a & b</c>\n</r>\n", /2:7: end tag <\/b> does not match/],
];

(haveXmllint ? test : test.skip)("synthetic mistakes: xmllint's line, a reason naming the mistake", () => {
  for (const [doc, reason] of SYNTHETIC) {
    const ours = agree(enc(doc), JSON.stringify(doc));
    assert.match(ours.message, reason, JSON.stringify(doc));
  }
});

(haveXmllint ? test : test.skip)(
  "an element never closed: reported at its start tag, the line xmllint's message names",
  () => {
    const doc = enc("<r>\n  <a>x</a>\n  <c>y</c>\n");
    const r = spawnSync("xmllint", ["--noout", "-"], { input: doc, encoding: "utf8" });
    // xmllint stops at the end of the data (line 4) and names the tag's own line in the message.
    assert.match(r.stderr, /Premature end of data in tag r line 1/);
    assert.match(ourLine(doc).message, /config\.xml:1:1: element <r> is never closed/);
  },
);

test("the hint no longer claims xmllint shows the same problem; reference errors say how to fix them", () => {
  try {
    scanXml(enc("<r><b>a & b</b></r>"));
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "XML_MALFORMED"));
    assert.not.match(err.hint, /xmllint/);
    assert.match(err.hint, /&amp;/);
  }
  try {
    scanXml(enc("<r><b>x</c></r>"));
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "XML_MALFORMED"));
    assert.not.match(err.hint, /xmllint/);
  }
});

/** A small deterministic PRNG (mulberry32): the same mutations on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXT_MUTATIONS = [" & ", " &amp ", "&nbsp;", "&#0;", "&#xZZ;", "&#12 ", "&copy;", " && "];
const ATTRIBUTE_MUTATIONS = [" & ", "&amp", "&undeclared;", "<", "a<b", "&#x1;", "&#"];

(haveXmllint && haveShared ? test : test.skip)(
  "mutated real files: the reported line equals xmllint's first error line",
  async () => {
    const files = (await fsp.readdir(SHARED_FIXTURES)).filter((f) => f.endsWith(".xml")).sort();
    assert.ok(files.length > 0);
    let compared = 0;
    for (const [f, file] of files.entries()) {
      const original = new Uint8Array(await fsp.readFile(path.join(SHARED_FIXTURES, file)));
      assert.is(xmllintLine(original), null, `${file} is well-formed for xmllint`);
      assert.is(ourLine(original).line, null, `${file} is well-formed for confvault`);
      const text = new TextDecoder().decode(original);
      // Sites: text between tags, and attribute values (either quote).
      const textSites = [...text.matchAll(/>([^<>&\s][^<>&]*)</g)].map(
        (m) => m.index + 1 + Math.floor(m[1].length / 2),
      );
      const attributeSites = [...text.matchAll(/\s[\w:.-]+=(["'])([^"'<&]*)\1/g)].map(
        (m) => m.index + m[0].length - 1 - Math.floor(m[2].length / 2),
      );
      const random = rng(1000 + f);
      for (const [sites, mutations] of [
        [textSites, TEXT_MUTATIONS],
        [attributeSites, ATTRIBUTE_MUTATIONS],
      ] as const) {
        if (sites.length === 0) continue;
        for (let k = 0; k < 6; k++) {
          const at = sites[Math.floor(random() * sites.length)];
          const mutation = mutations[Math.floor(random() * mutations.length)];
          const mutated = text.slice(0, at) + mutation + text.slice(at);
          agree(enc(mutated), `${file} + ${JSON.stringify(mutation)} at ${at}`);
          compared++;
        }
      }
    }
    console.log(`  ${compared} mutated real documents compared with xmllint`);
  },
);

test("the CI installs xmllint (libxml2-utils) for this test", async () => {
  const ci = await fsp.readFile(path.join(ROOT, ".ci/run"), "utf8");
  assert.match(ci, /command -v xmllint >\/dev\/null 2>&1 \|\| need\+=\(libxml2-utils\)/);
});

test.run();
