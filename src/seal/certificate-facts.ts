import { ConfvaultError } from "../errors/confvault-error.ts";
import type { X509Adapter } from "./x509-adapter.ts";

export type { X509Adapter } from "./x509-adapter.ts";

/** Public facts about the root certificate, safe for the manifest. */
export interface CertificateFacts {
  subject: string;
  issuer: string;
  fingerprint256: string;
  /** ISO 8601 UTC. */
  notBefore: string;
  notAfter: string;
  /** Days from `now` to notAfter, with fractions; negative once expired. */
  expiresInDays: number;
  /** True when the certificate expires within WARN_DAYS (or has expired). */
  expiringSoon: boolean;
  expired: boolean;
}

export const CERT_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Reads the certificate and checks that the private key belongs to it (same public key).
 * BAD_INPUT for PEM that does not parse or an encrypted key; CERT_KEY_MISMATCH when the key
 * is another certificate's.
 */
export function certificateFacts(
  certPem: string,
  keyPem: string,
  x509: X509Adapter,
  now: Date = new Date(),
): CertificateFacts {
  if (typeof certPem !== "string" || !certPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfvaultError("BAD_INPUT", "the root certificate is not a PEM certificate", certHint, {
      operation: "certificateFacts",
    });
  }
  if (typeof keyPem !== "string" || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) {
    throw new ConfvaultError("BAD_INPUT", "the root key is not a PEM private key", keyHint, {
      operation: "certificateFacts",
    });
  }
  if (keyPem.includes("ENCRYPTED PRIVATE KEY") || /Proc-Type:\s*4,ENCRYPTED/.test(keyPem)) {
    throw new ConfvaultError(
      "BAD_INPUT",
      "the root key is encrypted with a passphrase",
      "give the unencrypted key (`openssl pkey -in key.pem -out plain.pem`); confvault seals it itself",
      { operation: "certificateFacts" },
    );
  }
  let cert: ReturnType<X509Adapter["readCertificate"]>;
  try {
    cert = x509.readCertificate(certPem);
  } catch (err) {
    throw new ConfvaultError("BAD_INPUT", "the root certificate does not parse", certHint, {}, err);
  }
  if (Number.isNaN(cert.notBefore.getTime()) || Number.isNaN(cert.notAfter.getTime())) {
    throw new ConfvaultError("BAD_INPUT", "the root certificate has unreadable validity dates", certHint);
  }
  let keySpki: Uint8Array;
  try {
    keySpki = x509.publicKeyOfPrivateKey(keyPem);
  } catch (err) {
    throw new ConfvaultError("BAD_INPUT", "the root key does not parse", keyHint, {}, err);
  }
  if (!sameBytes(cert.publicKeySpki, keySpki)) {
    throw new ConfvaultError(
      "CERT_KEY_MISMATCH",
      `the private key does not belong to the certificate "${cert.subject}"`,
      "pass the key that was generated with this certificate (compare `openssl x509 -noout -pubkey -in CERT` " +
        "with `openssl pkey -pubout -in KEY`)",
      { subject: cert.subject, fingerprint256: cert.fingerprint256 },
    );
  }
  const expiresInDays = (cert.notAfter.getTime() - now.getTime()) / DAY_MS;
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    fingerprint256: cert.fingerprint256,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    expiresInDays,
    expiringSoon: expiresInDays < CERT_WARN_DAYS,
    expired: expiresInDays < 0,
  };
}

const certHint = "give the certificate as PEM (-----BEGIN CERTIFICATE-----), e.g. the appliance's root.cer";
const keyHint = "give the private key as unencrypted PEM (-----BEGIN PRIVATE KEY----- or RSA/EC PRIVATE KEY)";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
