import { promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { base64 } from "@scure/base";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { createSigner } from "../../src/seal/signing-key.ts";
import { createJoinToken, parseJoinToken } from "../../src/sync/join-tokens.ts";
import {
  canonicalJson,
  headSignedBytes,
  keyFingerprint,
  type ReleaseFacts,
  releaseSignedBytes,
  signBytes,
  verifySigned,
} from "../../src/sync/release-signature.ts";

const enc = new TextEncoder();
const seed = (n: number) => new Uint8Array(32).fill(n);

const FACTS: ReleaseFacts = {
  cluster: "c",
  commit: "a".repeat(40),
  sequence: 7,
  tag: "rp/20260101T000000Z-7",
  recipient: "age1slave",
  reason: "apply",
  actor: "operator",
  manifest: {
    format: 1,
    sequence: 7,
    config: { sha256: "0".repeat(64) },
    files: { "config.xml": { sha256: "1" } },
  },
  config: enc.encode("<config/>"),
  bundle: Uint8Array.of(1, 2, 3),
};

async function verifies(
  bytes: Uint8Array,
  sig: { key: string; sig: string },
  keys: string[],
): Promise<string> {
  try {
    await verifySigned("x", bytes, sig, keys);
    return "ok";
  } catch (err) {
    assert.ok(isConfvaultError(err, "RELEASE_UNTRUSTED"), String(err));
    return String((err as { data: Record<string, unknown> }).data.reason);
  }
}

test("canonical JSON sorts keys at every level and drops undefined members", () => {
  assert.is(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } }),
    '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
  );
});

test("the release signature verifies, and changing any signed field makes it fail", async () => {
  const signer = await createSigner(seed(1));
  const bytes = await releaseSignedBytes(FACTS);
  assert.ok(new TextDecoder().decode(bytes).startsWith("confvault-release-v1\n"));
  const sig = await signBytes(signer, bytes);
  assert.is(await verifies(bytes, sig, [signer.sshPublicKey]), "ok");
  const variants: ReleaseFacts[] = [
    { ...FACTS, cluster: "d" },
    { ...FACTS, commit: "b".repeat(40) },
    { ...FACTS, sequence: 999 },
    { ...FACTS, tag: "rp/evil" },
    { ...FACTS, recipient: "age1other" },
    { ...FACTS, reason: "evil" },
    { ...FACTS, actor: "evil" },
    { ...FACTS, manifest: { ...(FACTS.manifest as object), sequence: 8 } },
    { ...FACTS, config: enc.encode("<config />") },
    { ...FACTS, bundle: Uint8Array.of(1, 2, 4) },
  ];
  for (const v of variants) {
    assert.is(
      await verifies(await releaseSignedBytes(v), sig, [signer.sshPublicKey]),
      "bad-signature",
      JSON.stringify(v.cluster),
    );
  }
  // Key order of the manifest does not matter (canonical), its content does.
  const reordered = { ...FACTS, manifest: JSON.parse(canonicalJson(FACTS.manifest)) };
  assert.is(await verifies(await releaseSignedBytes(reordered), sig, [signer.sshPublicKey]), "ok");
});

test("a head signature never passes as a release's, and head fields are covered", async () => {
  const signer = await createSigner(seed(2));
  const head = { cluster: "c", commit: "a".repeat(40), sequence: 3, tag: "rp/x" };
  const sig = await signBytes(signer, headSignedBytes(head));
  assert.is(await verifies(headSignedBytes(head), sig, [signer.sshPublicKey]), "ok");
  for (const h of [
    { ...head, cluster: "d" },
    { ...head, commit: "b".repeat(40) },
    { ...head, sequence: 999 },
    { ...head, tag: "rp/y" },
  ]) {
    assert.is(await verifies(headSignedBytes(h), sig, [signer.sshPublicKey]), "bad-signature");
  }
  assert.is(await verifies(await releaseSignedBytes(FACTS), sig, [signer.sshPublicKey]), "bad-signature");
});

test("unsigned, unknown-key and garbage signatures are refused with their reason", async () => {
  const real = await createSigner(seed(3));
  const evil = await createSigner(seed(4));
  const bytes = await releaseSignedBytes(FACTS);
  assert.is(await verifies(bytes, undefined as never, [real.sshPublicKey]), "unsigned");
  assert.is(await verifies(bytes, await signBytes(evil, bytes), [real.sshPublicKey]), "unknown-key");
  const forged = { key: real.sshPublicKey, sig: (await signBytes(evil, bytes)).sig };
  assert.is(await verifies(bytes, forged, [real.sshPublicKey]), "bad-signature");
  assert.is(
    await verifies(bytes, { key: real.sshPublicKey, sig: "!!" }, [real.sshPublicKey]),
    "bad-signature",
  );
  assert.is(
    await verifies(bytes, { key: real.sshPublicKey, sig: base64.encode(new Uint8Array(64)) }, [
      real.sshPublicKey,
    ]),
    "bad-signature",
  );
  assert.is(await verifies(bytes, await signBytes(real, bytes), []), "unknown-key");
  // Several trusted masters (issue 15): any one of them will do.
  assert.is(
    await verifies(bytes, await signBytes(real, bytes), [evil.sshPublicKey, real.sshPublicKey]),
    "ok",
  );
});

test("a join token carries the master key's fingerprint (and a TLS one when given); old cvj_ tokens are refused", async () => {
  const signer = await createSigner(seed(5));
  const dir = await fsp.mkdtemp(path.join(tmpdir(), "cv-jt-"));
  try {
    const file = path.join(dir, "join-tokens.json");
    const { token } = await createJoinToken(file, { ttlMs: 60_000, masterKey: signer.sshPublicKey });
    const p = parseJoinToken(token);
    assert.is(p.keyFingerprint, await keyFingerprint(signer.sshPublicKey));
    assert.is(p.tlsFingerprint256, undefined);
    const tls = "ab".repeat(32);
    const withTls = await createJoinToken(file, {
      ttlMs: 60_000,
      masterKey: signer.sshPublicKey,
      tlsFingerprint256: tls,
    });
    assert.is(parseJoinToken(withTls.token).tlsFingerprint256, tls);
    assert.not.ok((await fsp.readFile(file, "utf8")).includes(p.secret), "only the hash is stored");
    for (const bad of ["cvj_abcdef", "cvj1.onlyone", "cvj2.a.b"]) {
      try {
        parseJoinToken(bad);
        assert.unreachable(bad);
      } catch (err) {
        assert.ok(isConfvaultError(err, "BAD_USAGE"), String(err));
      }
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test.run();
