import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { restore } from "../../src/api/restore.ts";
import { showFile } from "../../src/api/show-file.ts";
import { enc, sharedFixture, sharedFixturesAvailable, tempHome } from "../helpers/temp-home.ts";

const run = promisify(execFile);
const haveShared = await sharedFixturesAvailable();

/** Synthetic documents written here: the features the real fixtures lack. */
const SYNTHETIC: Record<string, Uint8Array> = {
  "doctype with internal subset and entities": enc(
    `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE cfg [\n  <!ENTITY vendor "Example &amp; Co">\n  <!ENTITY greeting "hello &vendor;">\n  <!ELEMENT cfg ANY>\n]>\n<cfg><owner>&vendor;</owner><motd>&greeting;</motd></cfg>\n`,
  ),
  namespaces: enc(
    `<c:cfg xmlns:c="urn:example:cfg" xmlns="urn:default"><c:rule c:id="1">x</c:rule><plain a="1" b="2"/></c:cfg>\n`,
  ),
  "cdata with ]] inside": enc(
    `<cfg><script><![CDATA[if (a[b[0]]]]><![CDATA[> 1) { return "]]"; }]]></script></cfg>\n`,
  ),
  "no xml declaration, no final newline": enc(`<cfg>\n  <a>1</a>\n</cfg>`),
  "latin-1 encoding declaration": Uint8Array.from([
    ...enc(`<?xml version="1.0" encoding="ISO-8859-1"?>\n<cfg><name>caf`),
    0xe9,
    ...enc(`</name><password>s`),
    0xe9,
    ...enc(`cret-long-value</password></cfg>\n`),
  ]),
  "crlf line ends": enc(
    `<?xml version="1.0"?>\r\n<cfg>\r\n  <a attr="x">1</a>\r\n  <!-- comment -->\r\n</cfg>\r\n`,
  ),
  "byte order mark": Uint8Array.from([
    0xef,
    0xbb,
    0xbf,
    ...enc(`<?xml version="1.0" encoding="utf-8" ?>\n<cfg><naïve>ünïcödé 𝄞</naïve></cfg>\n`),
  ]),
  "attribute order, odd quoting and whitespace": enc(
    `<cfg  z="1"   a='2' m="&quot;3&quot;" >\n\t<x    />\n  <y></y>   \n</cfg   >\n`,
  ),
};

test("synthetic XML features come back byte for byte through apply, show and restore", async () => {
  const h = await tempHome({ profile: "generic" });
  try {
    for (const [name, bytes] of Object.entries(SYNTHETIC)) {
      const r = await applyConfig({ ctx: h.ctx, config: bytes, reason: name, actor: "t" });
      assert.ok(r.changed, name);
      assert.equal(await showFile({ ctx: h.ctx, ref: r.tag }), bytes, name);
    }
    const first = (await h.ctx.engine.listTags()).at(-1)!;
    await restore({ ctx: h.ctx, ref: first.name, reason: "back to the first", actor: "t" });
    assert.equal(
      new Uint8Array(await fsp.readFile(h.ctx.live("config")!)),
      SYNTHETIC["doctype with internal subset and entities"],
    );
  } finally {
    await h.cleanup();
  }
});

const FIXTURES: Array<[string, "safesquid" | "opnsense" | "pfsense" | "generic"]> = [
  ["safesquid-config.xml", "safesquid"],
  ["opnsense-config.xml", "opnsense"],
  ["opnsense-acl-test-config.xml", "opnsense"],
  ["opnsense-service-test-config.xml", "opnsense"],
  ["opnsense-ha-primary.xml", "opnsense"],
  ["opnsense-ha-secondary.xml", "opnsense"],
  ["opnsense-lab-backup.xml", "opnsense"],
  ["pfsense-config.xml", "pfsense"],
  ["m0n0wall-config.xml", "generic"],
  ["xigmanas-config.xml", "generic"],
  ["safesquid-sectionMaster.xml", "generic"],
];

for (const [file, profile] of FIXTURES) {
  (haveShared ? test : test.skip)(`real fixture ${file} (${profile}) comes back byte for byte`, async () => {
    const bytes = (await sharedFixture(file))!;
    const h = await tempHome({ profile });
    try {
      const r = await applyConfig({ ctx: h.ctx, config: bytes, reason: `import ${file}`, actor: "t" });
      assert.equal(await showFile({ ctx: h.ctx, ref: r.tag }), bytes);
      assert.equal(new Uint8Array(await fsp.readFile(h.ctx.live("config")!)), bytes);
      await run("git", [`--git-dir=${h.ctx.layout.gitdir}`, "fsck", "--strict", "--no-progress"]);
    } finally {
      await h.cleanup();
    }
  });
}

(haveShared ? test : test.skip)(
  "no private key material in any git object after applying the OPNsense lab backup with the pyca root",
  async () => {
    const h = await tempHome({ profile: "opnsense" });
    try {
      const config = (await sharedFixture("opnsense-lab-backup.xml"))!;
      const cert = new TextDecoder().decode((await sharedFixture("pyca-root-cert.pem"))!);
      const key = new TextDecoder().decode((await sharedFixture("pyca-root-key.pem"))!);
      await applyConfig({ ctx: h.ctx, config, cert, key, reason: "lab import", actor: "t" });
      const { stdout } = await run(
        "git",
        [`--git-dir=${h.ctx.layout.gitdir}`, "cat-file", "--batch-all-objects", "--batch"],
        { maxBuffer: 64 * 1024 * 1024, encoding: "latin1" },
      );
      assert.not.match(stdout, /PRIVATE KEY-----/);
      assert.not.match(
        stdout,
        /LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t|LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ/,
      );
      const prv = /<prv>([^<]{40,})<\/prv>/.exec(new TextDecoder().decode(config))?.[1];
      assert.ok(prv, "the lab backup holds <prv> values");
      assert.not.ok(stdout.includes(prv!.slice(0, 60)));
    } finally {
      await h.cleanup();
    }
  },
);

test.run();
