import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { liftSecrets, restoreSecrets, SECRET_MARKER_RE } from "../../src/seal/lift-secrets.ts";
import { hasSharedFixtures, latin1, SHARED_FIXTURES, spansOf, utf8 } from "./seal-helpers.ts";

const key = new Uint8Array(32).fill(7);
const otherKey = new Uint8Array(32).fill(8);

const crlfDoc = new Uint8Array([
  0xef,
  0xbb,
  0xbf,
  ...utf8(
    '<?xml version="1.0" encoding="utf-8"?>\r\n<opnsense>\r\n  <system>\r\n' +
      "    <user><name>root</name><password>$2y$10$abc&amp;def</password></user>\r\n" +
      "    <user><name>ops</name><password><![CDATA[p<a>ss]]></password></user>\r\n" +
      "    <user><name>empty</name><password></password><password/></user>\r\n" +
      "  </system>\r\n  <cert><prv>LS0tLS1CRUdJTi&#13;\r\nBQUklWQVRF</prv></cert>\r\n" +
      "  <ipsec><phase1><pre-shared-key>p\u00e4ss &#x26; more</pre-shared-key></phase1></ipsec>\r\n" +
      "</opnsense>",
  ),
]);

function spans(doc: Uint8Array) {
  return [
    ...spansOf(doc, "password", "system/user/password"),
    ...spansOf(doc, "prv", "cert/prv"),
    ...spansOf(doc, "pre-shared-key"),
  ];
}

test("lift then restore gives the original bytes back exactly (BOM, CRLF, CDATA, entities)", () => {
  const lifted = liftSecrets(crlfDoc, spans(crlfDoc), key);
  assert.is(Object.keys(lifted.secrets).length, 4);
  const text = Buffer.from(lifted.bytes).toString("latin1");
  assert.not.ok(text.includes("abc&amp;def"));
  assert.not.ok(text.includes("CDATA"));
  assert.not.ok(text.includes("LS0tLS1"));
  assert.ok(text.startsWith("\u00ef\u00bb\u00bf<?xml"), "BOM kept");
  assert.ok(text.includes("<password></password><password/>"), "empty elements untouched");
  assert.ok(text.includes("\r\n  </system>\r\n"), "CRLF kept");
  assert.equal(restoreSecrets(lifted.bytes, lifted.secrets), crlfDoc);
});

test("markers are ASCII, valid XML text, and stand exactly where the content was", () => {
  const lifted = liftSecrets(crlfDoc, spans(crlfDoc), key);
  const text = Buffer.from(lifted.bytes).toString("latin1");
  for (const marker of Object.keys(lifted.secrets)) {
    assert.match(marker, /^confvault-secret:v1:[0-9a-f]{24}$/);
    assert.ok(text.includes(`>${marker}</`));
  }
  assert.ok(SECRET_MARKER_RE.test(text));
  assert.is([...text.matchAll(new RegExp(SECRET_MARKER_RE.source, "g"))].length, 4);
  const raw = Object.values(lifted.secrets).map((b) => Buffer.from(b, "base64").toString("utf8"));
  assert.ok(raw.includes("<![CDATA[p<a>ss]]>"), "CDATA wrapper kept in the sealed value");
  assert.ok(raw.includes("p\u00e4ss &#x26; more"), "entity reference kept as written");
});

test("same value and key give the same marker; a changed value or key gives another", () => {
  const doc = (pw: string) => utf8(`<a><password>${pw}</password><x/><password>${pw}</password></a>`);
  const one = liftSecrets(doc("hunter22"), spansOf(doc("hunter22"), "password"), key);
  const again = liftSecrets(doc("hunter22"), spansOf(doc("hunter22"), "password"), key);
  const changed = liftSecrets(doc("hunter23"), spansOf(doc("hunter23"), "password"), key);
  const rekeyed = liftSecrets(doc("hunter22"), spansOf(doc("hunter22"), "password"), otherKey);
  assert.equal(again.bytes, one.bytes);
  assert.is(Object.keys(one.secrets).length, 1, "two equal values share one marker");
  assert.not.equal(changed.bytes, one.bytes);
  assert.not.equal(Object.keys(changed.secrets), Object.keys(one.secrets));
  assert.not.equal(Object.keys(rekeyed.secrets), Object.keys(one.secrets));
});

test("a latin-1 document round-trips byte for byte", () => {
  const doc = latin1(
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n<r><password>gr\u00fc\u00df\u00e9</password>\n</r>',
  );
  const lifted = liftSecrets(doc, spansOf(doc, "password"), key);
  assert.equal(restoreSecrets(lifted.bytes, lifted.secrets), doc);
});

test("elements with children and empty elements are left alone", () => {
  const doc = utf8("<r><password><inner>x</inner></password><password></password></r>");
  const lifted = liftSecrets(doc, spansOf(doc, "password"), key);
  assert.equal(lifted.bytes, doc);
  assert.equal(lifted.secrets, {});
});

test("a document that already holds markers keeps them and reports them", () => {
  const first = liftSecrets(crlfDoc, spans(crlfDoc), key);
  const second = liftSecrets(first.bytes, spans(first.bytes), key);
  assert.equal(second.bytes, first.bytes);
  assert.equal(second.secrets, {});
  assert.equal(second.existingMarkers.sort(), Object.keys(first.secrets).sort());
});

test("restore refuses a marker the bundle does not hold, naming the marker", () => {
  const lifted = liftSecrets(crlfDoc, spans(crlfDoc), key);
  const [marker] = Object.keys(lifted.secrets);
  const partial = { ...lifted.secrets };
  delete partial[marker];
  try {
    restoreSecrets(lifted.bytes, partial);
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "BAD_INPUT"), String(err));
    assert.ok((err as Error).message.includes(marker));
  }
});

test("a document without markers is restored unchanged", () => {
  const doc = utf8("<r>nothing secret</r>");
  assert.equal(restoreSecrets(doc, {}), doc);
});

test("spans outside the document or overlapping are refused", () => {
  const doc = utf8("<r><password>abc</password></r>");
  const [span] = spansOf(doc, "password");
  for (const bad of [
    [{ ...span, contentEnd: doc.length + 1 }],
    [span, { ...span, contentStart: span.contentStart + 1 }],
  ]) {
    try {
      liftSecrets(doc, bad, key);
      assert.unreachable();
    } catch (err) {
      assert.ok(isConfvaultError(err, "BAD_INPUT"), String(err));
    }
  }
});

(hasSharedFixtures ? test : test.skip)(
  "the real OPNsense lab backup round-trips with its keys lifted",
  () => {
    const doc = new Uint8Array(readFileSync(join(SHARED_FIXTURES, "opnsense-lab-backup.xml")));
    const lifted = liftSecrets(doc, [...spansOf(doc, "prv"), ...spansOf(doc, "password")], key);
    assert.ok(Object.keys(lifted.secrets).length >= 3);
    assert.not.ok(Buffer.from(lifted.bytes).includes("LS0tLS1CRUdJTiBQUklWQVRF"));
    assert.equal(restoreSecrets(lifted.bytes, lifted.secrets), doc);
  },
);

test.run();
