import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { ParsedCertificate, X509Adapter } from "./x509-adapter.ts";

/** X509Adapter over node:crypto (Node, and Deno's node:crypto). */
export const nodeX509: X509Adapter = {
  readCertificate(pem: string): ParsedCertificate {
    const cert = new X509Certificate(pem);
    return {
      subject: oneLine(cert.subject),
      issuer: oneLine(cert.issuer),
      fingerprint256: cert.fingerprint256,
      notBefore: new Date(cert.validFrom),
      notAfter: new Date(cert.validTo),
      publicKeySpki: new Uint8Array(cert.publicKey.export({ type: "spki", format: "der" })),
    };
  },
  publicKeyOfPrivateKey(pem: string): Uint8Array {
    const key = createPrivateKey({ key: pem, format: "pem" });
    return new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  },
};

// Node prints one RDN per line ("C=US\nO=Example"); the manifest keeps one line.
function oneLine(dn: string): string {
  return dn.split("\n").filter(Boolean).join(", ");
}
