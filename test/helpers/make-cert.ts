import { selfSignedCertificate } from "../../src/cli/self-signed-certificate.ts";

/** A throw-away self-signed certificate and key (openssl), valid for `days`. */
export function makeCert(cn = "confvault test root", days = 365): { cert: string; key: string } {
  const pair = selfSignedCertificate(cn, days);
  if (!pair) throw new Error("openssl is needed for this test (apt-get install openssl)");
  return pair;
}
