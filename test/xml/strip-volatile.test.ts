import { test } from "uvu";
import * as assert from "uvu/assert";
import { stripVolatile } from "../../src/xml/strip-volatile.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const VOLATILE = ["revision/time", "revision/username", "revision/description"];

const opnsense = (time: string, user: string, hostname: string) =>
  utf8(`<?xml version="1.0"?>
<opnsense>
  <system>
    <hostname>${hostname}</hostname>
  </system>
  <revision>
    <username>${user}</username>
    <time>${time}</time>
    <description>/system_general.php made changes</description>
  </revision>
</opnsense>
`);

test("OPNsense revision time, user and description are emptied, nothing else", () => {
  const out = text(stripVolatile(opnsense("1714000000.1234", "root@10.0.0.5", "fw1"), VOLATILE));
  assert.match(out, "<username></username>");
  assert.match(out, "<time></time>");
  assert.match(out, "<description></description>");
  assert.match(out, "<hostname>fw1</hostname>");
});

test("two saves differing only in revision strip to the same bytes", () => {
  const a = stripVolatile(opnsense("1714000000.1234", "root@10.0.0.5", "fw1"), VOLATILE);
  const b = stripVolatile(opnsense("1714999999.9999", "admin@10.0.0.9", "fw1"), VOLATILE);
  assert.equal(a, b);
  const c = stripVolatile(opnsense("1714999999.9999", "admin@10.0.0.9", "fw2"), VOLATILE);
  assert.not.equal(a, c);
});

test("self-closing and nested volatile elements are handled", () => {
  const bytes = utf8("<r><revision><time/><meta><time>1</time></meta></revision></r>");
  assert.is(text(stripVolatile(bytes, ["revision", "//time"])), "<r><revision></revision></r>");
  assert.is(
    text(stripVolatile(bytes, ["//time"])),
    "<r><revision><time/><meta><time></time></meta></revision></r>",
  );
});

test("no volatile paths gives an unchanged copy", () => {
  const bytes = opnsense("1", "u", "h");
  assert.equal(stripVolatile(bytes, []), bytes);
});

test.run();
