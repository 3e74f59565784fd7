import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scanXml } from "../../src/xml/scan-xml.ts";
import { semanticDiff } from "../../src/xml/semantic-diff.ts";
import { assertSpanIsElement } from "./span-checks.ts";

const bytes = new Uint8Array(
  readFileSync(new URL("../../templates/sample/safesquid-config.xml", import.meta.url)),
);
const text = new TextDecoder().decode(bytes);

test("the sample SafeSquid template is well-formed with the sections confvault relies on", () => {
  const scan = scanXml(bytes, { patterns: ["//ldappassword", "//anonpass", "general/hostname"] });
  assert.is(scan.rootName, "safesquid");
  const names = scan.sections.map((s) => s.name);
  for (const section of ["access", "general", "network", "ldap", "ftp", "cache", "dlp"]) {
    assert.ok(names.includes(section), `missing <${section}>`);
  }
  assert.equal(
    scan.matches.map((m) => m.path),
    ["general/hostname", "ldap/ldapsection/ldappassword", "ftp/anonpass"],
  );
  for (const span of [...scan.sections, ...scan.matches]) assertSpanIsElement(bytes, span);
});

test("the sample template is written the way SafeSquid writes its config", () => {
  assert.ok(text.startsWith('<?xml version="1.0" ?>\n<safesquid>\n    <access>'));
  assert.ok(text.endsWith("</safesquid>\n"));
  assert.match(text, "&amp;");
  assert.match(text, "&quot;");
  assert.match(text, "&#x0A;");
  assert.not.match(text, "\t");
  assert.not.match(text, "\r");
  const lines = text.split("\n").length;
  assert.ok(lines >= 150 && lines <= 250, `${lines} lines`);
});

test("the sample template diffs cleanly against itself", () => {
  assert.equal(semanticDiff(bytes, bytes, { idAttributes: ["id"], volatilePaths: [] }), []);
});

test.run();
