import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type ErrorCode, isConfvaultError } from "../../src/errors/confvault-error.ts";
import { certificateFacts } from "../../src/seal/certificate-facts.ts";
import { nodeX509 } from "../../src/seal/node-x509.ts";
import { hasSharedFixtures, SHARED_FIXTURES } from "./seal-helpers.ts";

const fixture = (name: string) => readFileSync(join(SHARED_FIXTURES, name), "utf8");
const withFixtures = hasSharedFixtures ? test : test.skip;

function refused(fn: () => unknown, code: ErrorCode): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isConfvaultError(err, code), String(err));
    return (err as Error).message;
  }
  assert.unreachable(`expected ${code}`);
  return "";
}

withFixtures("the pyca root certificate and its key give the public facts", () => {
  const facts = certificateFacts(
    fixture("pyca-root-cert.pem"),
    fixture("pyca-root-key.pem"),
    nodeX509,
    new Date("2025-01-01T00:00:00Z"),
  );
  assert.is(facts.subject, "C=XY, O=Python Software Foundation CA, CN=our-ca-server");
  assert.not.match(facts.subject, /\n/);
  assert.is(facts.subject, facts.issuer, "a self-signed root");
  assert.match(facts.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.match(facts.notBefore, /^\d{4}-\d\d-\d\dT/);
  assert.ok(Date.parse(facts.notAfter) > Date.parse(facts.notBefore));
  assert.ok(facts.expiresInDays > 30);
  assert.not.ok(facts.expiringSoon);
  assert.not.ok(facts.expired);
});

withFixtures("expiry within 30 days warns, and after notAfter it is expired", () => {
  const cert = fixture("pyca-root-cert.pem");
  const key = fixture("pyca-root-key.pem");
  const { notAfter } = certificateFacts(cert, key, nodeX509);
  const soon = certificateFacts(cert, key, nodeX509, new Date(Date.parse(notAfter) - 10 * 86_400_000));
  assert.ok(soon.expiringSoon);
  assert.not.ok(soon.expired);
  assert.ok(Math.abs(soon.expiresInDays - 10) < 0.001);
  const late = certificateFacts(cert, key, nodeX509, new Date(Date.parse(notAfter) + 86_400_000));
  assert.ok(late.expired && late.expiringSoon && late.expiresInDays < 0);
});

withFixtures("a key that does not belong to the certificate is refused", () => {
  for (const [type, opts] of [
    ["rsa", { modulusLength: 2048 }],
    ["ec", { namedCurve: "P-256" }],
  ] as const) {
    const other = generateKeyPairSync(type as "rsa", opts as { modulusLength: number });
    const pem = other.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const message = refused(
      () => certificateFacts(fixture("pyca-root-cert.pem"), pem, nodeX509),
      "CERT_KEY_MISMATCH",
    );
    assert.match(message, /does not belong/);
    assert.not.match(message, /BEGIN/);
  }
});

withFixtures("malformed or encrypted PEM is BAD_INPUT", () => {
  const cert = fixture("pyca-root-cert.pem");
  const key = fixture("pyca-root-key.pem");
  refused(() => certificateFacts("not a cert", key, nodeX509), "BAD_INPUT");
  refused(
    () => certificateFacts("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key, nodeX509),
    "BAD_INPUT",
  );
  refused(() => certificateFacts(cert, "not a key", nodeX509), "BAD_INPUT");
  refused(
    () => certificateFacts(cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", nodeX509),
    "BAD_INPUT",
  );
  const encrypted = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "pw",
  }) as string;
  assert.match(
    refused(() => certificateFacts(cert, encrypted, nodeX509), "BAD_INPUT"),
    /encrypted/,
  );
});

test("certificateFacts uses only the adapter it is given", () => {
  const spki = new Uint8Array([1, 2, 3]);
  const fake = {
    readCertificate: () => ({
      subject: "CN=fake",
      issuer: "CN=fake",
      fingerprint256: "AA",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2030-01-01T00:00:00Z"),
      publicKeySpki: spki,
    }),
    publicKeyOfPrivateKey: () => spki,
  };
  const facts = certificateFacts(
    "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
    "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
    fake,
    new Date("2029-12-22T00:00:00Z"),
  );
  assert.equal(facts, {
    subject: "CN=fake",
    issuer: "CN=fake",
    fingerprint256: "AA",
    notBefore: "2020-01-01T00:00:00.000Z",
    notAfter: "2030-01-01T00:00:00.000Z",
    expiresInDays: 10,
    expiringSoon: true,
    expired: false,
  });
});

test.run();
