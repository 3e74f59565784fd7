import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ErrorCode, isConfvaultError } from "../../src/errors/confvault-error.ts";
import { bundleDigest } from "../../src/seal/bundle-digest.ts";
import { deriveIdentity } from "../../src/seal/derive-identity.ts";
import { sealBundle } from "../../src/seal/seal-bundle.ts";
import { canonicalBundleJson, type SecretBundle } from "../../src/seal/secret-bundle.ts";
import { unsealBundle } from "../../src/seal/unseal-bundle.ts";
import { run, tempDir } from "./seal-helpers.ts";

const own = await deriveIdentity({ activationKey: "test-activation-key-1", cluster: "lab" });
const other = await deriveIdentity({ activationKey: "test-activation-key-2", cluster: "lab" });

const bundle: SecretBundle = {
  version: 1,
  cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
  secrets: {
    "confvault-secret:v1:bbbbbbbbbbbbbbbbbbbbbbbb": Buffer.from("s3cr\u00e9t & <b>").toString("base64"),
    "confvault-secret:v1:aaaaaaaaaaaaaaaaaaaaaaaa": Buffer.from([0, 255, 10, 13]).toString("base64"),
  },
};

async function rejects(promise: Promise<unknown>, codes: ErrorCode[]): Promise<ErrorCode> {
  try {
    await promise;
  } catch (err) {
    assert.ok(
      codes.some((c) => isConfvaultError(err, c)),
      `expected ${codes.join("|")}, got ${String(err)}`,
    );
    return (err as { code: ErrorCode }).code;
  }
  assert.unreachable("opened a bundle that should have been refused");
  throw new Error("unreachable");
}

test("canonical JSON sorts keys and has no whitespace", () => {
  const json = canonicalBundleJson(bundle);
  assert.is(json, JSON.stringify(JSON.parse(json)));
  assert.ok(json.indexOf("aaaa") < json.indexOf("bbbb"));
  assert.ok(json.startsWith('{"cert":'));
  assert.ok(json.endsWith('"version":1}'));
});

test("a sealed bundle opens with the same identity to the same content", async () => {
  const sealed = await sealBundle(bundle, [own.recipient]);
  assert.equal(await unsealBundle(sealed, [own.identity]), bundle);
});

test("the standard age CLI decrypts a confvault bundle to the same JSON", async () => {
  const dir = await tempDir();
  const sealedPath = join(dir, "secrets.sealed.age");
  const idPath = join(dir, "identity.txt");
  await writeFile(sealedPath, await sealBundle(bundle, [own.recipient]));
  await writeFile(idPath, `${own.identity}\n`, { mode: 0o600 });
  const r = run("age", ["-d", "-i", idPath, sealedPath]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.toString("utf8"), canonicalBundleJson(bundle));
});

test("confvault reads a bundle that the age CLI encrypted (binary and armored)", async () => {
  const json = JSON.stringify(bundle, null, 2);
  for (const extra of [[], ["-a"]]) {
    const r = run("age", ["-r", own.recipient, ...extra], json);
    assert.is(r.status, 0, r.stderr);
    assert.equal(await unsealBundle(new Uint8Array(r.stdout), [own.identity]), bundle);
  }
});

test("a bundle sealed to the node and an escrow key opens with the escrow identity alone", async () => {
  const dir = await tempDir();
  const keyPath = join(dir, "escrow.txt");
  const gen = run("age-keygen", ["-o", keyPath]);
  assert.is(gen.status, 0, gen.stderr);
  const escrowRecipient = run("age-keygen", ["-y", keyPath]).stdout.toString().trim();
  const escrowIdentity = (await import("node:fs"))
    .readFileSync(keyPath, "utf8")
    .match(/AGE-SECRET-KEY-1\S+/)![0];

  const sealed = await sealBundle(bundle, [own.recipient, escrowRecipient]);
  assert.equal(await unsealBundle(sealed, [escrowIdentity]), bundle);
  assert.equal(await unsealBundle(sealed, [own.identity]), bundle);
  const sealedPath = join(dir, "b.age");
  await writeFile(sealedPath, sealed);
  const r = run("age", ["-d", "-i", keyPath, sealedPath]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.toString(), canonicalBundleJson(bundle));
});

test("the wrong activation key is refused with WRONG_KEY", async () => {
  const sealed = await sealBundle(bundle, [own.recipient]);
  await rejects(unsealBundle(sealed, [other.identity]), ["WRONG_KEY"]);
});

test("changing any byte is refused (SEAL_TAMPERED, or WRONG_KEY in a recipient stanza) and never opens", async () => {
  const sealed = await sealBundle(bundle, [own.recipient]);
  const headerEnd = Buffer.from(sealed).indexOf("\n---") + 1;
  const macEnd = sealed.indexOf(10, headerEnd) + 1;
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const positions = new Set<number>([0, 5, headerEnd, macEnd - 2, macEnd, macEnd + 16, sealed.length - 1]);
  while (positions.size < 24) positions.add(Math.floor(random() * sealed.length));
  for (const at of positions) {
    const bad = sealed.slice();
    bad[at] ^= 1 + Math.floor(random() * 255);
    const code = await rejects(unsealBundle(bad, [own.identity]), ["SEAL_TAMPERED", "WRONG_KEY"]);
    if (at >= headerEnd) assert.is(code, "SEAL_TAMPERED", `byte ${at} (after the recipient stanzas)`);
  }
});

test("every single-byte change in the whole file is refused", async () => {
  const sealed = await sealBundle({ version: 1, secrets: {} }, [own.recipient]);
  for (let at = 0; at < sealed.length; at++) {
    const bad = sealed.slice();
    bad[at] ^= 0x01;
    await rejects(unsealBundle(bad, [own.identity]), ["SEAL_TAMPERED", "WRONG_KEY"]);
  }
});

test("a truncated or extended bundle is refused with SEAL_TAMPERED", async () => {
  const sealed = await sealBundle(bundle, [own.recipient]);
  const headerEnd = sealed.indexOf(10, Buffer.from(sealed).indexOf("\n---") + 1) + 1;
  for (const length of [
    0,
    1,
    20,
    headerEnd - 1,
    headerEnd,
    headerEnd + 16,
    sealed.length - 17,
    sealed.length - 1,
  ]) {
    await rejects(unsealBundle(sealed.subarray(0, length), [own.identity]), ["SEAL_TAMPERED"]);
  }
  const longer = new Uint8Array(sealed.length + 1);
  longer.set(sealed);
  await rejects(unsealBundle(longer, [own.identity]), ["SEAL_TAMPERED"]);
});

test("a large bundle (several 64 KiB chunks) round-trips and refuses a dropped last chunk", async () => {
  const big: SecretBundle = { version: 1, secrets: {} };
  for (let i = 0; i < 2000; i++) {
    big.secrets[`confvault-secret:v1:${i.toString(16).padStart(24, "0")}`] = Buffer.alloc(100, i).toString(
      "base64",
    );
  }
  const sealed = await sealBundle(big, [own.recipient]);
  assert.equal(await unsealBundle(sealed, [own.identity]), big);
  await rejects(unsealBundle(sealed.subarray(0, sealed.length - 1000), [own.identity]), ["SEAL_TAMPERED"]);
});

test("unsealing needs an identity, and garbage identities are BAD_INPUT", async () => {
  const sealed = await sealBundle(bundle, [own.recipient]);
  await rejects(unsealBundle(sealed, []), ["KEY_MISSING"]);
  await rejects(unsealBundle(sealed, ["not-a-key"]), ["BAD_INPUT"]);
  await rejects(unsealBundle(sealed, [own.recipient]), ["BAD_INPUT"]);
});

test("a file encrypted to the right key that is not a bundle is BAD_INPUT", async () => {
  const r = run("age", ["-r", own.recipient], '{"hello":"world"}');
  await rejects(unsealBundle(new Uint8Array(r.stdout), [own.identity]), ["BAD_INPUT"]);
});

test("sealing refuses bad recipients and bad bundles", async () => {
  await rejects(sealBundle(bundle, []), ["KEY_MISSING"]);
  await rejects(sealBundle(bundle, ["age1notarecipient"]), ["BAD_INPUT"]);
  await rejects(sealBundle({ ...bundle, version: 2 } as unknown as SecretBundle, [own.recipient]), [
    "BAD_INPUT",
  ]);
  await rejects(
    sealBundle({ version: 1, secrets: { __proto__x: "AA==" } } as SecretBundle, [own.recipient]),
    ["BAD_INPUT"],
  );
});

test("bundleDigest is stable for equal content and changes with any change or key", () => {
  const copy: SecretBundle = JSON.parse(JSON.stringify({ ...bundle, secrets: { ...bundle.secrets } }));
  const reordered: SecretBundle = {
    version: 1,
    secrets: Object.fromEntries(Object.entries(bundle.secrets).reverse()),
    key: bundle.key,
    cert: bundle.cert,
  };
  const d = bundleDigest(bundle, own.markerKey);
  assert.match(d, /^[0-9a-f]{64}$/);
  assert.is(bundleDigest(copy, own.markerKey), d);
  assert.is(bundleDigest(reordered, own.markerKey), d);
  assert.is.not(bundleDigest({ ...bundle, cert: `${bundle.cert} ` }, own.markerKey), d);
  assert.is.not(bundleDigest(bundle, other.markerKey), d);
});

test.run();
