import { test } from "uvu";
import * as assert from "uvu/assert";
import { formatDiff } from "../../src/xml/format-diff.ts";
import { semanticDiff } from "../../src/xml/semantic-diff.ts";

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
  assert.is(formatDiff([]), "");
});

test("a changed field is keyed by the rule's id", () => {
  const entries = semanticDiff(config(base), config(base.replace("10.0.0.5", "10.0.0.55")), options);
  assert.equal(entries, [
    { kind: "changed", path: "access/allow[id=5]/ip", old: "10.0.0.5", new: "10.0.0.55" },
  ]);
  assert.is(formatDiff(entries), '~ access/allow[id=5]/ip: "10.0.0.5" → "10.0.0.55"\n');
});

test("an inserted rule is one addition, not a cascade of changes", () => {
  const after = rule(1, "10.0.0.1") + rule(9, "10.0.0.9") + rule(3, "10.0.0.3") + rule(5, "10.0.0.5");
  const entries = semanticDiff(config(base), config(after), options);
  assert.equal(entries, [{ kind: "added", path: "access/allow[id=9]" }]);
  assert.is(formatDiff(entries), "+ access/allow[id=9] added\n");
});

test("a removed rule is reported as removed", () => {
  const entries = semanticDiff(config(base), config(rule(1, "10.0.0.1") + rule(5, "10.0.0.5")), options);
  assert.equal(entries, [{ kind: "removed", path: "access/allow[id=3]" }]);
  assert.is(formatDiff(entries), "- access/allow[id=3] removed\n");
});

test("a reordered rule is reported as moved with its positions", () => {
  const after = rule(3, "10.0.0.3") + rule(5, "10.0.0.5") + rule(1, "10.0.0.1");
  const entries = semanticDiff(config(base), config(after), options);
  assert.equal(entries, [{ kind: "moved", path: "access/allow[id=1]", from: 1, to: 3 }]);
  assert.is(formatDiff(entries), "↕ access/allow[id=1] moved from position 1 to 3\n");
});

test("an attribute change is reported with old and new values", () => {
  const after = rule(1, "10.0.0.1") + rule(3, "10.0.0.3", "TRUE", ' mode="strict"') + rule(5, "10.0.0.5");
  const entries = semanticDiff(config(base), config(after), options);
  assert.equal(entries, [{ kind: "attribute-changed", path: "access/allow[id=3]/@mode", new: "strict" }]);
  assert.is(formatDiff(entries), '~ access/allow[id=3]/@mode: (none) → "strict"\n');
});

test("a changed secret is reported without either value", () => {
  const entries = semanticDiff(config(base), config(base, { password: "confvault:sealed:bb22" }), options);
  assert.equal(entries, [{ kind: "secret-changed", path: "ldap/ldapsection[id=107]/ldappassword" }]);
  const line = formatDiff(entries);
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
  assert.not.match(formatDiff(entries), "hunter");
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
    { kind: "added", path: "net/dns[2]" },
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

test.run();
