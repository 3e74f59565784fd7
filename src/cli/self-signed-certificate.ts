import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A throw-away self-signed root (EC P-256) made with the openssl CLI; undefined when openssl is missing. */
export function selfSignedCertificate(
  commonName: string,
  days = 825,
): { cert: string; key: string } | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), "confvault-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        String(days),
        "-subj",
        `/CN=${commonName}/O=confvault`,
        "-keyout",
        path.join(dir, "k.pem"),
        "-out",
        path.join(dir, "c.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      cert: readFileSync(path.join(dir, "c.pem"), "utf8"),
      key: readFileSync(path.join(dir, "k.pem"), "utf8"),
    };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
