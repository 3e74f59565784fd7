import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A throw-away self-signed certificate and key (openssl), valid for `days`. */
export function makeCert(cn = "confvault test root", days = 365): { cert: string; key: string } {
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
        `/CN=${cn}`,
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
