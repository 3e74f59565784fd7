import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A self-signed certificate (EC P-256) made with the openssl CLI; undefined when openssl is
 * missing. `altNames` become its subjectAltName (IPs as IP:, the rest as DNS:), for TLS servers.
 */
export function selfSignedCertificate(
  commonName: string,
  days = 825,
  options: { altNames?: string[] } = {},
): { cert: string; key: string } | undefined {
  const san = (options.altNames ?? []).map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`));
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
        ...(san.length > 0 ? ["-addext", `subjectAltName=${san.join(",")}`] : []),
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
