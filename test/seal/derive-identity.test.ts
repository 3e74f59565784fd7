import { identityToRecipient } from "age-encryption";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { deriveIdentity, KDF_PARAMS } from "../../src/seal/derive-identity.ts";
import { nodeScrypt } from "../../src/seal/node-scrypt.ts";
import { nobleScrypt, pickScrypt } from "../../src/seal/scrypt-adapter.ts";
import { run } from "./seal-helpers.ts";

const KEY = "SSQ-7F3K-9Q2M-XA41-LL0P";

test("the same activation key and cluster always give the same identity", async () => {
  const a = await deriveIdentity({ activationKey: KEY, cluster: "prod" });
  const b = await deriveIdentity({ activationKey: KEY, cluster: "prod" });
  assert.is(a.identity, b.identity);
  assert.is(a.recipient, b.recipient);
  assert.equal(a.markerKey, b.markerKey);
  assert.match(a.identity, /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  assert.match(a.recipient, /^age1[0-9a-z]{58}$/);
  assert.is(a.markerKey.length, 32);
  assert.is(await identityToRecipient(a.identity), a.recipient);
});

test("a different key or a different cluster gives a different identity and marker key", async () => {
  const base = await deriveIdentity({ activationKey: KEY, cluster: "prod" });
  const otherKey = await deriveIdentity({ activationKey: `${KEY}X`, cluster: "prod" });
  const otherCluster = await deriveIdentity({ activationKey: KEY, cluster: "staging" });
  for (const other of [otherKey, otherCluster]) {
    assert.is.not(other.identity, base.identity);
    assert.is.not(other.recipient, base.recipient);
    assert.not.equal(other.markerKey, base.markerKey);
  }
});

test("surrounding whitespace (a key file's final newline) does not change the identity", async () => {
  const plain = await deriveIdentity({ activationKey: KEY, cluster: "prod" });
  const fromFile = await deriveIdentity({ activationKey: `  ${KEY}\r\n`, cluster: "prod" });
  assert.is(fromFile.identity, plain.identity);
});

test("the derivation is the documented one (known-answer vector)", async () => {
  // Pins the v1 derivation: if this changes, existing repositories can no longer be opened.
  const d = await deriveIdentity({ activationKey: "correct horse battery staple", cluster: "demo" });
  assert.is(d.identity, KNOWN.identity);
  assert.is(d.recipient, KNOWN.recipient);
  assert.is(Buffer.from(d.markerKey).toString("hex"), KNOWN.markerKey);
});

test("the identity is one the standard age-keygen accepts, with the same recipient", async () => {
  const d = await deriveIdentity({ activationKey: KEY, cluster: "prod" });
  const r = run("age-keygen", ["-y"], `${d.identity}\n`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.toString().trim(), d.recipient);
});

test("derivation takes at most about 300 ms", async () => {
  const t0 = performance.now();
  await deriveIdentity({ activationKey: KEY, cluster: "timing" });
  const ms = performance.now() - t0;
  console.log(`    deriveIdentity (scrypt N=2^15 r=8 p=1): ${ms.toFixed(0)} ms`);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test("an empty activation key or cluster is refused", async () => {
  for (const [activationKey, cluster, code] of [
    ["", "prod", "KEY_MISSING"],
    [" \n", "prod", "KEY_MISSING"],
    [KEY, "", "BAD_INPUT"],
  ] as const) {
    try {
      await deriveIdentity({ activationKey, cluster });
      assert.unreachable("should have thrown");
    } catch (err) {
      assert.ok(isConfvaultError(err, code), String(err));
    }
  }
});

test("node:crypto scrypt and the @noble/hashes (Deno) path derive the same bytes", async () => {
  for (const [activationKey, cluster] of [
    ["correct horse battery staple", "demo"],
    [KEY, "prod"],
    ["  ünïcödé-key-Å\n", "cluster/with spaces-é"],
  ] as const) {
    const native = await deriveIdentity({ activationKey, cluster, scrypt: nodeScrypt });
    const portable = await deriveIdentity({ activationKey, cluster, scrypt: nobleScrypt });
    assert.is(native.identity, portable.identity);
    assert.is(native.recipient, portable.recipient);
    assert.equal(native.markerKey, portable.markerKey);
    assert.equal(native.signingSeed, portable.signingSeed);
  }
  const viaNode = await deriveIdentity({
    activationKey: "correct horse battery staple",
    cluster: "demo",
    scrypt: nodeScrypt,
  });
  assert.is(viaNode.identity, KNOWN.identity, "the known-answer vector holds on the native path");
  const pw = new TextEncoder().encode("pw");
  const salt = new TextEncoder().encode("salt");
  assert.equal(await nodeScrypt(pw, salt, KDF_PARAMS), await nobleScrypt(pw, salt, KDF_PARAMS));
});

test("on Node the default scrypt is node:crypto's, and it is faster than the pure-JS one", async () => {
  assert.is(await pickScrypt(), nodeScrypt);
  const time = async (scrypt: typeof nodeScrypt) => {
    const t0 = performance.now();
    await deriveIdentity({ activationKey: KEY, cluster: "timing", scrypt });
    return performance.now() - t0;
  };
  const native = Math.min(await time(nodeScrypt), await time(nodeScrypt));
  const portable = Math.min(await time(nobleScrypt), await time(nobleScrypt));
  console.log(
    `    deriveIdentity: node:crypto ${native.toFixed(0)} ms, @noble/hashes ${portable.toFixed(0)} ms`,
  );
  assert.ok(native < portable, `native ${native} ms, portable ${portable} ms`);
});

// Computed independently with Python's hashlib.scrypt and the BIP 173 reference Bech32 encoder.
const KNOWN = {
  identity: "AGE-SECRET-KEY-12YWR33KS93M4E9WEGDD4UU28HAW82TRG2Q9X5WMLWCC93FD8AT0Q4VN8HN",
  recipient: "age14g3pxsaqcmszzgfayjv9g7a7gljlwh7de3t506veuhqnh84vecgsrclncj",
  markerKey: "386e1e365f593648a761568b4417911b87be181a4d7453f65497c1292079dfcc",
};

test.run();
