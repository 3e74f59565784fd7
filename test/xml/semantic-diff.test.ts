import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { opnsense } from "../../src/profiles/opnsense.ts";
import { safesquid } from "../../src/profiles/safesquid.ts";
import { renderDiff } from "../../src/xml/render-diff.ts";
import { semanticDiff, semanticDiffReport } from "../../src/xml/semantic-diff.ts";
import { ROOT } from "../helpers/temp-home.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const MARKER = /^confvault:sealed:[0-9a-f]+$/;
const options = { idAttributes: ["id"], volatilePaths: ["revision/time"], secretMarker: MARKER };

const rule = (id: number, ip: string, enabled = "TRUE", extra = "") =>
  `    <allow id="${id}"${extra}>\n      <enabled>${enabled}</enabled>\n      <ip>${ip}</ip>\n    </allow>\n`;
const config = (
  rules: string,
  { password = "confvault:sealed:aa11", time = "1", hostname = "proxy-a" } = {},
) =>
  utf8(`<?xml version="1.0" ?>
<safesquid>
  <access>
    <policy>DENY</policy>
${rules}  </access>
  <general>
    <hostname>${hostname}</hostname>
  </general>
  <ldap>
    <ldapsection id="107">
      <ldapusername>cn=bind</ldapusername>
      <ldappassword>${password}</ldappassword>
    </ldapsection>
  </ldap>
  <revision><time>${time}</time></revision>
</safesquid>
`);
const base = rule(1, "10.0.0.1") + rule(3, "10.0.0.3") + rule(5, "10.0.0.5");

test("identical configs have no differences", () => {
  assert.equal(semanticDiff(config(base), config(base), options), []);
  assert.is(renderDiff([]), "");
});

test("a changed field is keyed by the rule's id", () => {
  const entries = semanticDiff(config(base), config(base.replace("10.0.0.5", "10.0.0.55")), options);
  assert.equal(entries, [
    { kind: "changed", path: "access/allow[id=5]/ip", old: "10.0.0.5", new: "10.0.0.55" },
  ]);
  assert.is(renderDiff(entries), '~ access/allow[id=5]/ip: "10.0.0.5" → "10.0.0.55"\n');
});

test("an inserted rule is one addition, not a cascade of changes", () => {
  const after = rule(1, "10.0.0.1") + rule(9, "10.0.0.9") + rule(3, "10.0.0.3") + rule(5, "10.0.0.5");
  const entries = semanticDiff(config(base), config(after), options);
  assert.equal(entries, [
    { kind: "added", path: "access/allow[id=9]", summary: "enabled=TRUE, ip=10.0.0.9" },
  ]);
  assert.is(renderDiff(entries), "+ access/allow[id=9]: enabled=TRUE, ip=10.0.0.9\n");
});

test("a removed rule is reported as removed", () => {
  const entries = semanticDiff(config(base), config(rule(1, "10.0.0.1") + rule(5, "10.0.0.5")), options);
  assert.equal(entries, [
    { kind: "removed", path: "access/allow[id=3]", summary: "enabled=TRUE, ip=10.0.0.3" },
  ]);
  assert.is(renderDiff(entries), "- access/allow[id=3] removed: enabled=TRUE, ip=10.0.0.3\n");
});

test("a reordered rule is reported as moved with its positions", () => {
  const after = rule(3, "10.0.0.3") + rule(5, "10.0.0.5") + rule(1, "10.0.0.1");
  const entries = semanticDiff(config(base), config(after), options);
  assert.equal(entries, [
    { kind: "moved", path: "access/allow[id=1]", from: 1, to: 3, nowAfter: "allow[id=5]" },
  ]);
  assert.is(renderDiff(entries), "↕ access/allow[id=1] now last, after allow[id=5] (position 1 → 3)\n");
});

test("an attribute change is reported with old and new values", () => {
  const after = rule(1, "10.0.0.1") + rule(3, "10.0.0.3", "TRUE", ' mode="strict"') + rule(5, "10.0.0.5");
  const entries = semanticDiff(config(base), config(after), options);
  assert.equal(entries, [{ kind: "attribute-changed", path: "access/allow[id=3]/@mode", new: "strict" }]);
  assert.is(renderDiff(entries), '~ access/allow[id=3]/@mode: (none) → "strict"\n');
});

test("a changed secret is reported without either value", () => {
  const entries = semanticDiff(config(base), config(base, { password: "confvault:sealed:bb22" }), options);
  assert.equal(entries, [{ kind: "secret-changed", path: "ldap/ldapsection[id=107]/ldappassword" }]);
  const line = renderDiff(entries);
  assert.is(line, "* ldap/ldapsection[id=107]/ldappassword: secret changed\n");
  assert.not.match(line, "aa11");
  assert.not.match(line, "bb22");
});

test("a secret path hides plaintext values when a file is diffed before sealing", () => {
  const entries = semanticDiff(config(base, { password: "hunter2" }), config(base, { password: "hunter3" }), {
    ...options,
    secretPaths: ["//ldappassword"],
  });
  assert.equal(entries, [{ kind: "secret-changed", path: "ldap/ldapsection[id=107]/ldappassword" }]);
  assert.not.match(renderDiff(entries), "hunter");
});

test("volatile fields are hidden unless asked for", () => {
  const before = config(base, { time: "1714000000" });
  const after = config(base, { time: "1714999999" });
  assert.equal(semanticDiff(before, after, options), []);
  assert.equal(semanticDiff(before, after, { ...options, showVolatile: true }), [
    { kind: "changed", path: "revision/time", old: "1714000000", new: "1714999999" },
  ]);
});

test("siblings without ids are keyed by position among same-name siblings", () => {
  const doc = (ips: string[]) =>
    utf8(`<r><net>${ips.map((ip) => `<dns>${ip}</dns>`).join("")}<mtu>1500</mtu></net></r>`);
  assert.equal(semanticDiff(doc(["1.1.1.1", "8.8.8.8"]), doc(["1.1.1.1", "9.9.9.9"]), options), [
    { kind: "changed", path: "net/dns[2]", old: "8.8.8.8", new: "9.9.9.9" },
  ]);
  assert.equal(semanticDiff(doc(["1.1.1.1"]), doc(["1.1.1.1", "9.9.9.9"]), options), [
    { kind: "added", path: "net/dns[2]", summary: "9.9.9.9" },
  ]);
});

test("indentation, CRLF and entity spelling are not policy changes", () => {
  const a = utf8('<r>\n  <a x="&quot;q&quot;">A &amp; B</a>\n  <b>line1\nline2</b>\n</r>');
  const b = utf8("<r>\r\n<a x='\"q\"'>A &#38; B</a><b>line1\r\nline2</b></r>");
  assert.equal(semanticDiff(a, b, options), []);
});

test("CDATA and text compare by their content", () => {
  const a = utf8("<r><s><![CDATA[a]]]]><![CDATA[>b]]></s></r>");
  const b = utf8("<r><s>a]]&gt;b</s></r>");
  assert.equal(semanticDiff(a, b, options), []);
});

test("documents with DOCTYPE internal entities are diffed with the entities expanded", () => {
  const doc = (co: string) =>
    utf8(`<!DOCTYPE r [<!ENTITY co "${co}">]>\n<r><name>&co;</name><e a="&co;"/></r>`);
  assert.equal(semanticDiff(doc("ACME"), doc("ACME"), options), []);
  assert.equal(semanticDiff(doc("ACME"), doc("Initech"), options), [
    { kind: "changed", path: "name", old: "ACME", new: "Initech" },
    { kind: "attribute-changed", path: "e/@a", old: "ACME", new: "Initech" },
  ]);
});

test("elements and attributes named __proto__ or constructor diff correctly without pollution", () => {
  const doc = (v: string) =>
    utf8(
      `<r><__proto__ polluted="yes">${v}</__proto__><constructor __proto__="${v}" prototype="p">c</constructor><prototype><x>1</x></prototype></r>`,
    );
  const entries = semanticDiff(doc("1"), doc("2"), options);
  assert.equal(entries, [
    { kind: "changed", path: "__proto__", old: "1", new: "2" },
    { kind: "attribute-changed", path: "constructor/@__proto__", old: "1", new: "2" },
  ]);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.is((Object.prototype as Record<string, unknown>).polluted, undefined);
});

test("malformed input fails the diff with the scan's error", () => {
  try {
    semanticDiff(config(base), utf8("<r><a></r>"), options);
    assert.unreachable();
  } catch (err: any) {
    assert.is(err.code, "XML_MALFORMED");
  }
});

// ---- the reviewer's text (renderDiff), on the bundled sample and on real configs ----

const SAMPLE = readFileSync(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
const REAL = path.join(ROOT, "..", "shared", "fixtures", "real");
const profileOptions = (p: typeof safesquid) => ({
  idAttributes: p.idAttributes,
  volatilePaths: p.volatilePaths,
  localSections: p.localSections,
  secretPaths: p.secretPaths,
  secretMarker: MARKER,
});
/** One `<allow id=…>` block of a SafeSquid config, with its indentation and line break. */
const allowBlock = (xml: string, id: number) => {
  const m = new RegExp(`[ \\t]*<allow id="${id}">[\\s\\S]*?</allow>\\n`).exec(xml);
  if (!m) throw new Error(`no allow id=${id}`);
  return m[0];
};
const reviewerText = (a: string, b: string, p = safesquid) => {
  const report = semanticDiffReport(utf8(a), utf8(b), profileOptions(p));
  return { report, text: renderDiff(report.entries, report) };
};

test("reviewer text: an added rule shows every child value", () => {
  const added =
    '        <allow id="1042">\n            <enabled>TRUE</enabled>\n            <comment>block uploads</comment>\n            <ip>10.1.0.0/24</ip>\n        </allow>\n';
  const after = SAMPLE.replace(allowBlock(SAMPLE, 10), added + allowBlock(SAMPLE, 10));
  const { report, text } = reviewerText(SAMPLE, after);
  assert.equal(report.entries, [
    {
      kind: "added",
      path: "access/allow[id=1042]",
      summary: 'enabled=TRUE, comment="block uploads", ip=10.1.0.0/24',
    },
  ]);
  assert.is(text, '+ access/allow[id=1042]: enabled=TRUE, comment="block uploads", ip=10.1.0.0/24\n');
  assert.is(report.formattingChanges, 0, "the new rule's own line break is part of the addition");
});

test("reviewer text: a removed rule says which rule it was", () => {
  const after = SAMPLE.replace(allowBlock(SAMPLE, 8), "");
  const { text } = reviewerText(SAMPLE, after);
  assert.is(
    text,
    '- access/allow[id=8] removed: comment="Guest Wi-Fi (disabled until the captive portal is ready)"\n',
  );
});

test("reviewer text: a move says what the rule now precedes (first match wins)", () => {
  const r10 = allowBlock(SAMPLE, 10);
  const after = SAMPLE.replace(r10, "").replace(allowBlock(SAMPLE, 6), r10 + allowBlock(SAMPLE, 6));
  const { report, text } = reviewerText(SAMPLE, after);
  assert.equal(report.entries, [
    {
      kind: "moved",
      path: "access/allow[id=10]",
      from: 6,
      to: 4,
      nowBefore: "allow[id=6]",
      nowBeforeLabel: '"Help desk & network team may change policy"',
    },
  ]);
  assert.is(
    text,
    '↕ access/allow[id=10] now before allow[id=6] "Help desk & network team may change policy" (position 6 → 4)\n',
  );
});

test("reviewer text: formatting-only changes are counted in a footer, not listed", () => {
  // Re-indented rule 2 (tabs instead of spaces) and a root attribute order swapped.
  const before = SAMPLE.replace("<safesquid>", '<safesquid a="1" b="2">');
  const r2 = allowBlock(before, 2);
  const after = before
    .replace('<safesquid a="1" b="2">', '<safesquid b="2" a="1">')
    .replace(r2, r2.replace(/\n {12}/g, "\n\t\t\t"));
  const { report, text } = reviewerText(before, after);
  assert.equal(report.entries, []);
  assert.is(report.formattingChanges, 2);
  assert.equal(report.formattingKinds, ["attribute order", "whitespace"]);
  assert.is(text, "no policy changes; 2 formatting-only changes (attribute order, whitespace) not shown\n");
  // Next to a policy change, the footer follows a blank line.
  const both = reviewerText(before, after.replace("<policy>DENY</policy>", "<policy>ALLOW</policy>")).text;
  assert.is(
    both,
    '~ access/policy: "DENY" → "ALLOW"\n\n2 formatting-only changes (attribute order, whitespace) not shown\n',
  );
});

test("reviewer text: quoting and entity spelling alone count as one formatting-only change", () => {
  const after = SAMPLE.replace('<?xml version="1.0" ?>', "<?xml version='1.0' ?>").replace(
    "Help desk &amp; network",
    "Help desk &#38; network",
  );
  const { report, text } = reviewerText(SAMPLE, after);
  assert.equal(report.entries, []);
  assert.is(text, "no policy changes; 1 formatting-only change (markup) not shown\n");
  assert.is(reviewerText(SAMPLE, SAMPLE).text, "", "identical bytes: nothing at all");
});

test("reviewer text: changes in node-local sections are marked", () => {
  const after = SAMPLE.replace(
    "<hostname>proxy-a.example.internal</hostname>",
    "<hostname>proxy-b.example.internal</hostname>",
  ).replace("<policy>DENY</policy>", "<policy>ALLOW</policy>");
  const { report, text } = reviewerText(SAMPLE, after);
  assert.equal(report.entries[1], {
    kind: "changed",
    path: "general/hostname",
    old: "proxy-a.example.internal",
    new: "proxy-b.example.internal",
    local: true,
  });
  assert.is(report.entries[0].local, undefined);
  assert.is(
    text,
    '~ access/policy: "DENY" → "ALLOW"\n' +
      '~ general/hostname: "proxy-a.example.internal" → "proxy-b.example.internal"  [node-local]\n\n' +
      "[node-local]: a section each node keeps for itself; cluster sync does not copy it\n",
  );
});

test("reviewer text: an added element never shows a secret, sealed or plaintext", () => {
  const ldap = (extra: string) =>
    config(base).toString() &&
    new TextDecoder().decode(config(base)).replace("    </ldapsection>\n", `    </ldapsection>\n${extra}`);
  const added =
    '    <ldapsection id="108">\n      <ldapusername>cn=two</ldapusername>\n      <ldappassword>confvault:sealed:cc33</ldappassword>\n    </ldapsection>\n';
  const report = semanticDiffReport(utf8(ldap("")), utf8(ldap(added)), { ...options, localSections: [] });
  const text = renderDiff(report.entries, report);
  assert.is(text, '+ ldap/ldapsection[id=108]: ldapusername="cn=two", ldappassword=(secret)\n');
  const plain = added.replace("confvault:sealed:cc33", "hunter2");
  const report2 = semanticDiffReport(utf8(ldap("")), utf8(ldap(plain)), {
    ...options,
    secretPaths: ["//ldappassword"],
  });
  const removed = semanticDiffReport(utf8(ldap(plain)), utf8(ldap("")), {
    ...options,
    secretPaths: ["//ldappassword"],
  });
  assert.not.match(renderDiff(report2.entries), "hunter2");
  assert.not.match(renderDiff(removed.entries), "hunter2");
  assert.not.match(text, "cc33");
});

test("reviewer text: hidden volatile fields are counted, and many fields are cut", () => {
  const report = semanticDiffReport(config(base, { time: "1" }), config(base, { time: "2" }), options);
  assert.is(
    renderDiff(report.entries, report),
    "1 volatile field changed, not shown (--volatile shows it)\n",
  );
  const wide = `<allow id="77">${Array.from({ length: 15 }, (_, i) => `<f${i}>${i}</f${i}>`).join("")}</allow>\n`;
  const added = semanticDiff(config(base), config(base + wide), options);
  assert.is(added[0].summary, `${Array.from({ length: 12 }, (_, i) => `f${i}=${i}`).join(", ")}, … 3 more`);
});

const realFixture = (name: string) => {
  const file = path.join(REAL, name);
  if (existsSync(file)) return readFileSync(file, "utf8");
  console.log(`  (skipped on ${name}: ${file} is absent)`);
  return undefined;
};

test("reviewer text on the real SafeSquid config: add, remove, move, node-local, formatting", () => {
  const real = realFixture("safesquid-config.xml");
  if (real === undefined) return;
  const r3 = allowBlock(real, 3);
  const r9 = allowBlock(real, 9);
  const added = r3.replace('id="3"', 'id="1042"').replace("<ip>127.0.0.1</ip>", "<ip>10.1.0.0/24</ip>");
  const after = real
    .replace(allowBlock(real, 5), "") // removed
    .replace(r9, "")
    .replace(r3, r9 + r3 + added) // 9 moved before 3; 1042 added after 3
    .replace("<hostname>safesquid-swg.domain.local</hostname>", "<hostname>swg-2.domain.local</hostname>");
  const { report, text } = reviewerText(real, after);
  const lines = text.split("\n");
  assert.ok(
    lines.includes(
      '- access/allow[id=5] removed: comment="Allow slave proxy servers in the cluster to sync policies.\\nIP addresses of slave…"',
    ),
    text,
  );
  assert.ok(
    lines.some((l) =>
      /^↕ access\/allow\[id=9\] now before allow\[id=3\] "Access web interface through tunnel\." \(position 5 → 2\)$/.test(
        l,
      ),
    ),
    text,
  );
  assert.ok(
    lines.includes(
      '+ access/allow[id=1042]: enabled=TRUE, comment="Access web interface through tunnel.", profile_tracing=FALSE, ip=10.1.0.0/24, pamauth=FALSE, access="CONFIG,PROXY,HTTP,TRANSPARENT,CONNECT", add_user_groups=TUNNELLED_UI_ACCESS',
    ),
    text,
  );
  assert.ok(
    lines.includes('~ general/hostname: "safesquid-swg.domain.local" → "swg-2.domain.local"  [node-local]'),
    text,
  );
  assert.is(report.formattingChanges, 0);
  const reindented = reviewerText(real, real.replace(/\n {8}<allow/g, "\n\t\t<allow"));
  assert.equal(reindented.report.entries, []);
  assert.match(reindented.text, /^no policy changes; 5 formatting-only changes \(whitespace\) not shown\n$/);
});

test("reviewer text on real OPNsense HA configs: the per-node section is marked", () => {
  const primary = realFixture("opnsense-ha-primary.xml");
  const secondary = realFixture("opnsense-ha-secondary.xml");
  if (primary === undefined || secondary === undefined) return;
  const { report, text } = reviewerText(primary, secondary, opnsense);
  assert.ok(report.entries.length > 0);
  for (const e of report.entries) {
    const top = e.path.split("/")[0].replace(/\[.*$/, "");
    assert.is(
      e.local === true,
      opnsense.localSections.some(
        (s) => s === top || e.path.startsWith(`${s}/`) || e.path.startsWith(`${s}[`),
      ),
      e.path,
    );
  }
  assert.match(text, /\[node-local\]: a section each node keeps for itself/);
  for (const line of text.split("\n"))
    if (line.startsWith("- ")) assert.match(line, / removed: /, "a removal says what it was");
});

test.run();
