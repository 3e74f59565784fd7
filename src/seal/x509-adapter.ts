/** What certificateFacts needs from an X.509 implementation; the Node one is node-x509.ts. */
export interface X509Adapter {
  /** Parses the first certificate of a PEM text; throws on anything else. */
  readCertificate(pem: string): ParsedCertificate;
  /** Parses an unencrypted PEM private key and returns its public key as DER SPKI; throws otherwise. */
  publicKeyOfPrivateKey(pem: string): Uint8Array;
}

export interface ParsedCertificate {
  /** Distinguished names as one line, "CN=…, O=…". */
  subject: string;
  issuer: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by ":" (as openssl prints it). */
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
  /** The certificate's public key as DER SubjectPublicKeyInfo. */
  publicKeySpki: Uint8Array;
}
