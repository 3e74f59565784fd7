import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { profiles } from "../../src/profiles/index.ts";
import { SECRET_MARKER_EXACT } from "../../src/seal/secret-marker.ts";
import { SHARED_FIXTURES, sharedFixturesAvailable, tempHome } from "../helpers/temp-home.ts";

/**
 * Every real fixture (../shared/fixtures/real) that a profile takes is applied into a fresh home;
 * then every object git holds is read back (`git cat-file --batch-all-objects --batch`) and
 * scanned for password-, secret-, key- and token-looking element values and PEM private keys.
 * None may be there in plaintext: the profile's secret paths must have lifted them all. Trees are
 * skipped (names and hashes only); blobs, commits and tags are scanned as text.
 */

const SECRET_NAME = /pass|secret|key|token|psk|community/i;
/**
 * Element names that match SECRET_NAME but hold no secret, each checked in the fixtures:
 * switches and modes (`passwordauth` 1, `passive` FALSE, `bypass` TRUE), SafeSquid's
 * keyword-filter regular expressions (`keyword`).
 */
const NOT_SECRET = new Set(["passwordauth", "passive", "bypass", "keyword"]);
/** Fixtures no profile takes as a config: the vendor's UI schema is not a config.xml. */
const NOT_A_CONFIG = new Set(["safesquid-sectionMaster.xml"]);

interface Finding {
  where: string;
  what: string;
}

/** Element text as written, CDATA wrappers taken off (entities stay: only emptiness and markers matter). */
function elementText(raw: string): string {
  return raw.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, "$1").trim();
}

const PEM_PRIVATE = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\s*[A-Za-z0-9+/=\r\n]{40,}/;
const BASE64_RUN = /[A-Za-z0-9+/]{120,}={0,2}/g;

/** Plaintext secrets in one text: leaf elements with secret-looking names, PEM private keys (also base64-wrapped). */
function scanText(text: string, where: string): Finding[] {
  const found: Finding[] = [];
  const leaf = /<([A-Za-z_][\w.:-]*)(?:\s[^<>]*)?>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/\1\s*>/g;
  // Comments hold the vendors' commented-out examples (XigmaNAS: `<psk>xxx</psk>`); they are not
  // elements, so no profile can lift them. PEM keys are still looked for everywhere, comments too.
  const elements = text.replace(/<!--[\s\S]*?-->/g, "");
  for (const m of elements.matchAll(leaf)) {
    const name = m[1]!;
    const local = name.slice(name.indexOf(":") + 1);
    if (!SECRET_NAME.test(local) || NOT_SECRET.has(local)) continue;
    const value = elementText(m[2]!);
    if (value === "" || SECRET_MARKER_EXACT.test(value)) continue;
    found.push({ where, what: `<${name}>${value.slice(0, 24)}…` });
  }
  const pem = PEM_PRIVATE.exec(text);
  if (pem) found.push({ where, what: `PEM ${pem[1] ?? ""}PRIVATE KEY` });
  for (const m of text.matchAll(BASE64_RUN)) {
    const decoded = Buffer.from(m[0], "base64").toString("latin1");
    const inner = PEM_PRIVATE.exec(decoded);
    if (inner) found.push({ where, what: `base64 of PEM ${inner[1] ?? ""}PRIVATE KEY` });
  }
  return found;
}

/** Every object in the repository, decompressed: blobs, trees, commits and tags. */
async function allObjects(gitdir: string): Promise<Array<{ oid: string; type: string; body: Buffer }>> {
  const { execFile } = await import("node:child_process");
  const raw: Buffer = await new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [`--git-dir=${gitdir}`, "cat-file", "--batch-all-objects", "--batch"],
      {
        encoding: "buffer",
        maxBuffer: 512 * 1024 * 1024,
        env: { PATH: process.env.PATH, GIT_CONFIG_NOSYSTEM: "1" },
      },
      (err, stdout) => (err ? reject(err) : resolve(stdout as Buffer)),
    );
    child.stdin?.end();
  });
  const out: Array<{ oid: string; type: string; body: Buffer }> = [];
  let at = 0;
  while (at < raw.length) {
    const eol = raw.indexOf(0x0a, at);
    const [oid, type, size] = raw.subarray(at, eol).toString("latin1").split(" ");
    const start = eol + 1;
    const end = start + Number(size);
    out.push({ oid: oid!, type: type!, body: raw.subarray(start, end) });
    at = end + 1;
  }
  return out;
}

async function realConfigs(): Promise<Array<{ file: string; profile: string; bytes: Uint8Array }>> {
  const names = (await fsp.readdir(SHARED_FIXTURES)).filter((n) => n.endsWith(".xml")).sort();
  const out = [];
  for (const file of names) {
    if (NOT_A_CONFIG.has(file)) {
      console.log(`skipped: ${file} (not a config.xml: the vendor's section schema)`);
      continue;
    }
    const bytes = new Uint8Array(await fsp.readFile(path.join(SHARED_FIXTURES, file)));
    const root = /<([A-Za-z_][\w.-]*)[\s>/]/.exec(
      Buffer.from(bytes)
        .toString("latin1")
        .replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, ""),
    )?.[1];
    // The vendor's profile by root element; m0n0wall and XigmaNAS have none and take generic.
    const profile = Object.values(profiles).find((p) => p.rootElement === root)?.name ?? "generic";
    out.push({ file, profile, bytes });
  }
  return out;
}

test("the scan finds plaintext secrets and PEM keys (markers, empty values and switches pass)", () => {
  const pem =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
  const text = [
    "<cfg><monit><httpdPassword>xt3ICmWZy5i17WPCK3</httpdPassword></monit>",
    "<snmpd><rocommunity>public</rocommunity></snmpd>",
    `<cert><prv>${Buffer.from(pem.repeat(3)).toString("base64")}</prv></cert>`,
    "<user><password>confvault-secret:v1:0123456789abcdef01234567</password></user>",
    "<x><api_key></api_key><passwordauth>1</passwordauth><passive>FALSE</passive></x>",
    `<psk><![CDATA[s3cr&amp;t]]></psk></cfg>\n${pem}`,
  ].join("\n");
  const found = scanText(text, "sample").map((f) => f.what);
  assert.equal(found, [
    "<httpdPassword>xt3ICmWZy5i17WPCK3…",
    "<rocommunity>public…",
    "<psk>s3cr&amp;t…",
    "PEM PRIVATE KEY",
    "base64 of PEM PRIVATE KEY",
  ]);
  assert.equal(scanText("<a><key> confvault-secret:v1:0123456789abcdef01234567 </key></a>", "x"), []);
});

test("no real fixture leaves a password, key, secret, token or private key in any git object", async () => {
  if (!(await sharedFixturesAvailable())) {
    console.log("skipped: ../shared absent (real fixtures are not part of the repository)");
    return;
  }
  const configs = await realConfigs();
  assert.ok(
    configs.some((c) => c.file === "opnsense-lab-backup.xml"),
    "the lab backup is among the cases",
  );
  const certPem = await fsp
    .readFile(path.join(SHARED_FIXTURES, "pyca-root-cert.pem"), "utf8")
    .catch(() => undefined);
  const keyPem = await fsp
    .readFile(path.join(SHARED_FIXTURES, "pyca-root-key.pem"), "utf8")
    .catch(() => undefined);
  const failures: string[] = [];
  for (const { file, profile, bytes } of configs) {
    // Positive control: the fixture itself has what the scan looks for (or says it has nothing).
    const before = scanText(Buffer.from(bytes).toString("latin1"), file);
    const h = await tempHome({ profile: profile as "generic" });
    try {
      const withPair = profiles[profile]?.live.key !== undefined && certPem && keyPem;
      await applyConfig({
        ctx: h.ctx,
        config: bytes,
        reason: `real fixture ${file}`,
        actor: "test",
        ...(withPair ? { cert: certPem, key: keyPem } : {}),
      });
      const objects = await allObjects(h.ctx.layout.gitdir);
      assert.ok(
        objects.some((o) => o.type === "blob"),
        `${file}: objects were read`,
      );
      for (const o of objects) {
        if (o.type === "tree") continue;
        for (const f of scanText(o.body.toString("latin1"), `${file} → ${o.type} ${o.oid.slice(0, 12)}`))
          failures.push(`${f.where}: ${f.what}`);
      }
      if (file === "opnsense-lab-backup.xml")
        assert.ok(before.length >= 5, `the scan sees the lab backup's secrets (${before.length})`);
      console.log(
        `checked: ${file} (profile ${profile}${withPair ? ", with the pyca root key" : ""}): ${before.length} secret values in the fixture, ${objects.length} git objects scanned`,
      );
    } finally {
      await h.cleanup();
    }
  }
  assert.equal(failures, [], `plaintext secrets in git:\n${failures.join("\n")}`);
});

test.run();
