import { identityToRecipient } from "age-encryption";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { deriveIdentity } from "../../src/seal/derive-identity.ts";
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

// Computed independently with Python's hashlib.scrypt and the BIP 173 reference Bech32 encoder.
const KNOWN = {
  identity: "AGE-SECRET-KEY-12YWR33KS93M4E9WEGDD4UU28HAW82TRG2Q9X5WMLWCC93FD8AT0Q4VN8HN",
  recipient: "age14g3pxsaqcmszzgfayjv9g7a7gljlwh7de3t506veuhqnh84vecgsrclncj",
  markerKey: "386e1e365f593648a761568b4417911b87be181a4d7453f65497c1292079dfcc",
};

test.run();
