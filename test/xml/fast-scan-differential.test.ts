// The fast path of scanXml (src/xml/fast-scan.ts) against the saxes scan it stands in for:
// on every input both accept with deep-equal results, or both refuse with the same error.
// The property that matters: fastScan never returns a result for a document saxes refuses,
// and never a different one. Inputs: the other scan tests' documents, the real fixtures and
// a few thousand seeded random mutations of them (SEED=… reproduces a run).
import { deepStrictEqual } from "node:assert";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeXmlBytes } from "../../src/xml/decode-xml-bytes.ts";
import { fastScan } from "../../src/xml/fast-scan.ts";
import { scanDocument } from "../../src/xml/scan-document.ts";
import { scanXml } from "../../src/xml/scan-xml.ts";
import type { ScanOptions } from "../../src/xml/types.ts";
import { everyElementPattern } from "./span-checks.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const FIXTURES = "/work/shared/fixtures/real";
const fixtureFiles = existsSync(FIXTURES)
  ? readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".xml"))
      .sort()
  : [];
const SAMPLE = readFileSync(new URL("../../templates/sample/safesquid-config.xml", import.meta.url), "utf8");

interface Tally {
  fast: number;
  fallbackAccepted: number;
  rejected: number;
}
const newTally = (): Tally => ({ fast: 0, fallbackAccepted: 0, rejected: 0 });

/** Scans `bytes` both ways and fails unless the results (or errors) are the same. */
function compare(bytes: Uint8Array, options: ScanOptions, tally: Tally, label: string): void {
  let saxes: unknown;
  let saxesError: any;
  try {
    saxes = scanDocument(bytes, options).scan;
  } catch (err) {
    saxesError = err;
  }
  let fast: unknown = null;
  let decodeError: any;
  try {
    fast = fastScan(decodeXmlBytes(bytes), options);
  } catch (err) {
    decodeError = err; // decoding fails before either path runs
  }
  if (fast !== null) {
    if (saxesError) {
      throw new Error(`${label}: fast path accepted a document saxes refuses (${saxesError.message})`);
    }
    deepStrictEqual(fast, saxes, `${label}: fast path and saxes disagree`);
    tally.fast++;
  }
  let viaScanXml: unknown;
  let scanXmlError: any;
  try {
    viaScanXml = scanXml(bytes, options);
  } catch (err) {
    scanXmlError = err;
  }
  if (saxesError) {
    assert.ok(scanXmlError, `${label}: scanXml accepted what saxes refuses`);
    assert.equal(
      [scanXmlError.code, scanXmlError.message, scanXmlError.data?.line, scanXmlError.data?.column],
      [saxesError.code, saxesError.message, saxesError.data?.line, saxesError.data?.column],
      label,
    );
    if (decodeError) assert.is(decodeError.message, saxesError.message, label);
    tally.rejected++;
  } else {
    assert.not.ok(scanXmlError, `${label}: scanXml refused what saxes accepts: ${scanXmlError?.message}`);
    deepStrictEqual(viaScanXml, saxes, `${label}: scanXml and saxes disagree`);
    if (fast === null) tally.fallbackAccepted++;
  }
}

function optionSets(text: string): ScanOptions[] {
  return [
    {},
    { patterns: ["//ldappassword", "//anonpass", "general/hostname"] },
    { patterns: everyElementPattern(text) },
  ];
}

// The documents of scan-xml.test.ts, scan-xml-errors.test.ts and friends, plus the corners
// the fast path has to decide about (declaration forms, PIs, CDATA, references, whitespace).
const CORPUS: string[] = [
  '<?xml version="1.0"?>\n<r>\n  <a x="1">t</a>\n  <b/>\n  <c><d>v</d></c>\n</r>\n',
  "<r><x><secret>1</secret></x><secret>2</secret><y><z><secret>3</secret></z></y></r>",
  '<?xml version="1.0" encoding="UTF-8"?>\n<r><a>é</a></r>',
  "<r><a>ü</a><b/></r>",
  '<r>😀𝄞<a>x</a>é<b c="ü😀"/>中文<c>😀</c>\n<d/></r>',
  '<?xml version="1.0"?>\r\n<r>\r\n  <s a="1">x\r\ny</s>\r\n  <t\r\n   b="2"\r\n  />\r\n</r>',
  "<r><s><![CDATA[a]]]]><![CDATA[>b]]></s><t><![CDATA[<not-a-tag/>]]></t></r>",
  '<r xmlns="urn:a" xmlns:x="urn:x"><x:item x:id="1">v</x:item><plain/></r>',
  '<?xml version="1.0"?>\n<!DOCTYPE r [\n  <!ENTITY co "ACME &amp; Co">\n]>\n<r><a name="&co;">&co;</a><b/></r>',
  "<r>&constructor;</r>",
  "<r>&__proto__;</r>",
  '<r><__proto__ __proto__="p" constructor="c">x</__proto__></r>',
  '<?xml version="1.0" encoding="Shift_JIS"?><r/>',
  '<?xml version="1.0"?>\n<r>\n  <a>text',
  "<r>\n  <a></b>\n</r>",
  "<r>\n  <a>\n</r>",
  "<r>\n  <a x=1/>\n</r>",
  '<r>\n  <a x="1" x="2"/>\n</r>',
  '<r>\n  <a x="1<"/>\n</r>',
  "<r/>\n  junk\n",
  'garbage<?xml version="1.0"?><r/>',
  ' <?xml version="1.0"?><r/>',
  "<r/>\n<s/>",
  "",
  "  \n ",
  '<?xml version="1.0"?>\n<!-- nothing -->\n',
  "<r>\n x &nope; y</r>",
  '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<r/>',
  // declaration forms
  "<?xml version='1.0' encoding='ISO-8859-1' standalone='yes' ?><r/>",
  '<?xml version = "1.0"\tencoding\n=\r\n"utf-8"  standalone="no"?><r/>',
  '<?xml version="1.1"?><r/>',
  '<?xml version="1.0" standalone="maybe"?><r/>',
  '<?xml version="1.0"encoding="UTF-8"?><r/>',
  '<?xml encoding="UTF-8"?><r/>',
  "<?xml?><r/>",
  '<?XML version="1.0"?><r/>',
  '<?xml version="1.0" ?><?xml version="1.0"?><r/>',
  '<?xml-stylesheet href="a.xsl"?><r/>',
  "<?xmlfoo bar?><r/>",
  '<r><?xml version="1.0"?></r>',
  "<r><?Xml x?></r>",
  "<r><?pi?></r>",
  "<r><?pi ??></r>",
  "<r><?pi x?y ?></r>",
  "<r><?pi/x ?></r>",
  "<r><? pi ?></r>",
  // comments, CDATA, text
  "<!-- a --><r><!----><!-- - --></r><!-- b -->",
  "<r><!-- a -- b --></r>",
  "<r><!-- a ---></r>",
  "<r><!---></r>",
  "<r><!- x --></r>",
  "<![CDATA[x]]><r/>",
  "<r/><![CDATA[x]]>",
  "<r><![CDATA[]]></r>",
  "<r><![cdata[x]]></r>",
  "<r>a]]>b</r>",
  "<r>a]]b]>c]] >d</r>",
  "<r>]]]]></r>",
  "<r>]]&gt;</r>",
  '<r a="]]>"/>',
  "<r>&lt;&gt;&amp;&apos;&quot;&#65;&#x41;&#x1F600;&#10;&#0065;</r>",
  "<r>&#X41;</r>",
  "<r>&#x0;</r>",
  "<r>&#xD800;</r>",
  "<r>&#xFFFE;</r>",
  "<r>&#1114112;</r>",
  "<r>&#x110000;</r>",
  "<r>&#;</r>",
  "<r>&amp</r>",
  "<r>& amp;</r>",
  "<r>a & b</r>",
  "&amp;<r/>",
  "<r/>&amp;",
  // attributes
  '<r><a b="x&amp;y&#10;z&#x9;w\tv\nu\r\nt\rs" c=\'"\' d="\'"/></r>',
  "<r><a b = \"1\"  c\n=\n'2' /></r>",
  '<r><a b="1"c="2"/></r>',
  '<r><a b="1"/ ></r>',
  "<r><a b/></r>",
  "<r><a b= /></r>",
  '<r><a b="&lt;&#60;"/></r>',
  '<r><a b="<"/></r>',
  '<r><a b=">"/></r>',
  '<r><a 1b="x"/></r>',
  '<r><a é="x"/></r>',
  "<r><é/></r>",
  "<r><aé/></r>",
  "<r><a:b:c/></r>",
  "<r:x/>",
  "<_r.-1/>",
  "<r></r >",
  "<r></r\n>",
  "<r></ r>",
  "<r></>",
  "<r></rr>",
  "<rr></r>",
  "< r/>",
  "<r><1/></r>",
  "<r/ >",
  "<r>\u0001</r>",
  "<r>\u007f\u0085\u2028</r>",
  "<r>\uFFFE</r>",
  "<r>\uFEFF</r>",
  "\uFEFF<r/>",
  "\u00a0<r/>",
  "<r/>\u00a0",
  "<r/>\n\t\r\n",
];

test("the scan tests' documents and the corner cases give the same result both ways", () => {
  const tally = newTally();
  CORPUS.forEach((doc, i) => {
    for (const options of optionSets(doc))
      compare(utf8(doc), options, tally, `corpus #${i} ${JSON.stringify(doc)}`);
  });
  // Byte-level corners: BOM, single-byte encodings, UTF-16, invalid UTF-8.
  const bytes = [
    new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('<?xml version="1.0" encoding="UTF-8"?>\n<r><a>é</a></r>')]),
    new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('<?xml version="1.0" encoding="latin1"?><r/>')]),
    new Uint8Array([
      ...utf8('<?xml version="1.0" encoding="ISO-8859-1"?>\n<r><n>caf'),
      0xe9,
      0x80,
      ...utf8('</n><a v="x">t</a></r>'),
    ]),
    new Uint8Array([
      ...utf8('<?xml version="1.0" encoding="windows-1252"?><r a="'),
      0x81,
      0x9d,
      ...utf8('"/>'),
    ]),
    new Uint8Array([0xff, 0xfe, 0x3c, 0x00]),
    new Uint8Array([...utf8("<r>\n  <b>x"), 0xff, ...utf8("</b>\n</r>")]),
    new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...utf8("<r/>")]),
  ];
  bytes.forEach((b, i) => {
    compare(b, {}, tally, `bytes #${i}`);
    compare(b, { patterns: ["//a", "//n"] }, tally, `bytes #${i} with patterns`);
  });
  console.log(
    `  corpus: ${tally.fast} fast, ${tally.fallbackAccepted} fell back and accepted, ${tally.rejected} refused`,
  );
  assert.ok(tally.fast > 50);
});

test("lone surrogates, U+FFFE/U+FFFF and C0 controls in the decoded text are never accepted", () => {
  // TextDecoder never yields lone surrogates, so these texts cannot come from bytes: hand them in.
  const decoded = (text: string) => ({ text, encoding: "utf-8", bomLength: 0, oneBytePerChar: false });
  for (const bad of [
    "<r>\uD800</r>",
    "<r>\uDC00</r>",
    "<r>\uDBFFx</r>",
    "<r>a\uDC00\uD800</r>",
    "<r>é\uFFFE</r>",
    "<r>\uFFFF</r>",
    "<r>\u0000é</r>",
    "<r a='\uD83D'/>",
  ]) {
    assert.is(fastScan(decoded(bad)), null, JSON.stringify(bad));
  }
  assert.is(fastScan(decoded("<r>😀é\uFFFD</r>"))?.rootName, "r");
});

if (fixtureFiles.length === 0)
  test.skip("real fixtures give the same result both ways (fixtures folder missing)", () => {});

test("the sample template and every real fixture give the same result both ways", () => {
  const tally = newTally();
  const docs: Array<[string, Uint8Array]> = [
    ["sample", utf8(SAMPLE)],
    ...fixtureFiles.map((f): [string, Uint8Array] => [f, new Uint8Array(readFileSync(join(FIXTURES, f)))]),
  ];
  for (const [name, bytes] of docs) {
    const text = new TextDecoder().decode(bytes);
    for (const options of optionSets(text)) compare(bytes, options, tally, name);
  }
  console.log(
    `  fixtures: ${tally.fast} fast, ${tally.fallbackAccepted} fell back and accepted, ${tally.rejected} refused`,
  );
  assert.is(tally.rejected, 0);
});

/** mulberry32: small, seeded, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.SEED ?? 20260101);
const MUTANTS = Number(process.env.MUTANTS ?? 3000);
const SYNTAX = "<>&;\"'/=!?-[]abcxyzAZ_:.0 \n";
const INSERTS = [
  "]]>",
  "--",
  "&nope;",
  "&#x0;",
  "&#xD800;",
  "&#65;",
  "&#x41;",
  "&#X41;",
  "&amp;",
  "&lt",
  "&",
  "\u0000",
  "\u0001",
  "\u000b",
  "\u001f",
  "\t",
  "\r",
  "\r\n",
  "\u007f",
  "é",
  "😀",
  "\uFFFE",
  "\uFFFF",
  "\uFEFF",
  "\u00a0",
  "\u2028",
  "<![CDATA[ x ]]>",
  "<![CDATA[ <y/> ]]",
  "<!-- c -->",
  "<!-- c -- d -->",
  "<?pi body?>",
  '<?xml version="1.0"?>',
  "<!DOCTYPE r>",
  "<x/>",
  "</x>",
  "<x a=\"1\" b='&amp;\n'/>",
  ' z="1"',
  " z=1",
  ' z="<"',
  ' z="&#10;&lt;\t"',
];

type Mutation = (text: string, rand: () => number) => string;

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)]!;
const at = (text: string, rand: () => number) => Math.floor(rand() * (text.length + 1));
/** A random index of one of `chars` in `text` (or a random index when there is none). */
function indexOfAny(text: string, chars: string, rand: () => number): number {
  for (let tries = 0; tries < 20; tries++) {
    const i = at(text, rand);
    if (chars.includes(text[i] ?? "")) return i;
  }
  return at(text, rand);
}

const MUTATIONS: Record<string, Mutation> = {
  deleteSyntax: (t, r) => {
    const i = indexOfAny(t, SYNTAX, r);
    return t.slice(0, i) + t.slice(i + 1 + Math.floor(r() * 2));
  },
  insertSyntax: (t, r) => {
    const i = at(t, r);
    return t.slice(0, i) + pick([...SYNTAX], r) + t.slice(i);
  },
  duplicateRange: (t, r) => {
    const i = indexOfAny(t, "<>\"'&", r);
    const j = Math.min(t.length, i + 1 + Math.floor(r() * 12));
    return t.slice(0, j) + t.slice(i, j) + t.slice(j);
  },
  insertSnippet: (t, r) => {
    const i = r() < 0.6 ? indexOfAny(t, "<>\"'", r) + (r() < 0.5 ? 1 : 0) : at(t, r);
    return t.slice(0, i) + pick(INSERTS, r) + t.slice(i);
  },
  swapTags: (t, r) => {
    const names = [...t.matchAll(/<\/?([A-Za-z_][\w.:-]*)/g)];
    if (names.length < 2) return t;
    const a = pick(names, r);
    const b = pick(names, r);
    const i = a.index! + a[0].length - a[1].length;
    return t.slice(0, i) + b[1] + t.slice(i + a[1].length);
  },
  truncate: (t, r) => t.slice(0, at(t, r)),
  dashesInComment: (t, r) => {
    const comments = [...t.matchAll(/<!--/g)];
    if (comments.length === 0)
      return `${t.slice(0, t.indexOf(">") + 1)}<!-- a -- b -->${t.slice(t.indexOf(">") + 1)}`;
    const i = pick(comments, r).index! + 4 + Math.floor(r() * 5);
    return `${t.slice(0, i)}${r() < 0.5 ? "--" : "-"}${t.slice(i)}`;
  },
  duplicateAttribute: (t, r) => {
    const attrs = [...t.matchAll(/\s([\w:.-]+="[^"<]*")/g)];
    if (attrs.length === 0) return t.replace(/<([A-Za-z_][\w.:-]*)>/, '<$1 d="1" d="2">');
    const m = pick(attrs, r);
    const i = m.index! + m[0].length;
    return `${t.slice(0, i)} ${r() < 0.7 ? m[1] : m[1].replace(/^[^=]*/, "other")}${t.slice(i)}`;
  },
  unquoteAttribute: (t, r) => {
    const attrs = [...t.matchAll(/="([^"<\s]*)"/g)];
    if (attrs.length === 0) return t.replace(/<([A-Za-z_][\w.:-]*)>/, "<$1 u=1>");
    const m = pick(attrs, r);
    return t.slice(0, m.index!) + `=${m[1]}` + t.slice(m.index! + m[0].length);
  },
  strayReference: (t, r) => {
    const i = indexOfAny(t, '>"', r) + 1;
    return (
      t.slice(0, i) + pick(["&name;", "&#x0;", "&#xD800;", "&amp;", "&#x1F600;", "&lt;&gt;"], r) + t.slice(i)
    );
  },
  nonAsciiInName: (t, r) => {
    const i = indexOfAny(t, "<", r) + 1 + Math.floor(r() * 3);
    return t.slice(0, i) + pick(["é", "·", "😀", "\u0300", "中"], r) + t.slice(i);
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

// Edits that keep a document well-formed (mostly), so that the accepting side of the fast
// path sees references, CRLF, non-ASCII text, CDATA, comments, PIs and odd attribute values.
const VALID_CONTENT = [
  "&amp;&lt;&gt;&apos;&quot;",
  "&#10;&#x1F600;&#233;",
  "Größe 😀 中文",
  "\r\n",
  "\t",
  "<![CDATA[ <x/> ]] ]]>",
  "<!-- é -- -->".replace(" -- ", " "),
  "<?pi body?>",
  "<?pi?>",
  "<n a=\"1\" b='2'/>",
  "<n></n >",
  '<n\r\n  c = "x&#9;y\r\nz\tw"\n/>',
  "]]",
  "]>",
];
const VALID_VALUES = ["&amp;", "&#10;&#x9;", "a\tb\nc\r\nd\re", "é😀", "'", '"', ">", "&lt;&#60;", ""];
const EDITS: Record<string, Mutation> = {
  insertContent: (t, r) => {
    const first = t.indexOf(">", t.search(/<[A-Za-z_]/));
    const last = t.lastIndexOf("<");
    const i = indexOfAny(t, ">", r) + 1;
    if (i <= first || i > last) return t;
    return t.slice(0, i) + pick(VALID_CONTENT, r) + t.slice(i);
  },
  addAttribute: (t, r) => {
    const tags = [...t.matchAll(/<[A-Za-z_][\w.:-]*(?=[\s/>])/g)];
    if (tags.length === 0) return t;
    const m = pick(tags, r);
    const i = m.index! + m[0].length;
    const value = pick(VALID_VALUES, r);
    const quoted = value.includes('"') ? `'${value}'` : `"${value}"`;
    return `${t.slice(0, i)} zz${Math.floor(r() * 1000)}=${quoted}${t.slice(i)}`;
  },
  crlf: (t) => t.replace(/\n/g, "\r\n"),
  declaration: (t, r) =>
    pick(
      [
        '<?xml version="1.0"?>\n',
        "<?xml version='1.0' encoding='UTF-8' standalone='no' ?>",
        "<!-- head -->\n<?pi x?>\n",
      ],
      r,
    ) + t.replace(/^<\?xml[^>]*>\s*/, ""),
};
const EDIT_NAMES = Object.keys(EDITS);

test(`${MUTANTS} seeded random mutations give the same result both ways (SEED=${SEED})`, () => {
  const rand = prng(SEED);
  // Bases small enough for thousands of scans: the sample, the smaller fixtures, and slices
  // of the big one cut at element boundaries (still whole documents once re-wrapped).
  const bases = [SAMPLE];
  for (const file of fixtureFiles) {
    const text = readFileSync(join(FIXTURES, file), "utf8");
    if (text.length <= 40_000) bases.push(text);
    else {
      const cut = text.indexOf("\n", Math.floor(text.length / 3));
      const end = text.indexOf("\n</", cut + 4_000);
      if (cut > 0 && end > cut) bases.push(`<chunk>${text.slice(cut, end)}\n</chunk>`);
    }
  }
  const tally = newTally();
  const byMutation: Record<string, number> = {};
  for (let n = 0; n < MUTANTS; n++) {
    const base = pick(bases, rand);
    let text = base;
    const applied: string[] = [];
    // Half the mutants get only well-formedness-keeping edits, half get damage too.
    const damage = n % 2 === 1;
    const count = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) {
      const name = pick(damage && k === 0 ? MUTATION_NAMES : EDIT_NAMES, rand);
      applied.push(name);
      text = (MUTATIONS[name] ?? EDITS[name])!(text, rand);
    }
    const options = pick(optionSets(base), rand);
    const label = `mutant ${n} (SEED=${SEED}, ${applied.join("+")})`;
    compare(utf8(text), options, tally, label);
    for (const name of applied) byMutation[name] = (byMutation[name] ?? 0) + 1;
  }
  console.log(
    `  ${MUTANTS} mutants of ${bases.length} bases: ${tally.fast} fast, ${tally.fallbackAccepted} fell back and accepted, ${tally.rejected} refused`,
  );
  // The mix must exercise both sides, or the comparison proves little.
  assert.ok(tally.fast > MUTANTS * 0.15, `only ${tally.fast} took the fast path`);
  assert.ok(tally.rejected > MUTANTS * 0.3, `only ${tally.rejected} were refused`);
  console.log(`  mutations used: ${JSON.stringify(byMutation)}`);
});

test.run();
