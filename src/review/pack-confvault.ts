import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packageFile, packageVersion } from "../core/package-files.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";

/** Where the review repository keeps the pinned confvault its workflow installs. */
export const VENDOR_DIR = "vendor";

export interface PackedConfvault {
  version: string;
  /** Path inside the review repository, `vendor/confvault-<version>.tgz`. */
  path: string;
  bytes: Uint8Array;
  /** Hex SHA-256 of the bytes: the workflow refuses a tarball that does not match it. */
  sha256: string;
}

/**
 * This running confvault as an npm tarball (`npm pack` of the package folder, scripts off): the
 * built CLI with every dependency bundled, so installing it needs no registry and runs no
 * install script. npm writes fixed mtimes, so the same build packs to the same bytes and a
 * second `github init-repo` changes nothing.
 */
export async function packConfvault(): Promise<PackedConfvault> {
  const root = fileURLToPath(packageFile(""));
  if (!existsSync(path.join(root, "dist", "entry.js"))) {
    throw new ConfvaultError(
      "NOT_FOUND",
      `confvault at ${root} has no built CLI (dist/entry.js) to pin into the review repository`,
      "run `npm run build` in confvault's folder (an installed package has it already)",
    );
  }
  const version = packageVersion();
  const out = await mkdtemp(path.join(os.tmpdir(), "confvault-pack-"));
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        npm,
        ["pack", "--ignore-scripts", "--offline", "--json", "--pack-destination", out, root],
        {
          cwd: root,
          maxBuffer: 16 * 1024 * 1024,
          env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false" },
        },
        (err, so, se) =>
          err
            ? reject(
                new ConfvaultError(
                  "NOT_FOUND",
                  `npm pack of confvault failed: ${String(se || err.message)
                    .trim()
                    .split("\n")
                    .slice(-2)
                    .join(" ")}`,
                  "github init-repo needs npm (it comes with Node.js) to pin confvault into the review repository",
                ),
              )
            : resolve(so),
      ),
    );
    const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
    if (!packed) throw new ConfvaultError("INTERNAL", "npm pack wrote no tarball", "");
    const bytes = new Uint8Array(await readFile(path.join(out, packed.filename)));
    return {
      version,
      path: `${VENDOR_DIR}/confvault-${version}.tgz`,
      bytes,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
