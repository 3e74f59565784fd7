import { ConfvaultError } from "../errors/confvault-error.ts";

/**
 * What made a restore point. "rollback" (from 0.1: `confvault rollback`) is newer than the rest;
 * older rollbacks read as "restore", and readers take any string they do not know as it is.
 */
export type Source = "apply" | "capture" | "restore" | "rollback" | "sync" | "merge" | "rotate";

/** manifest.json, repository format v1: public facts only, never a secret. */
export interface Manifest {
  format: 1;
  profile: string;
  cluster: string;
  node: string;
  /** Monotonic per branch: parent's sequence + 1. Slaves never go backwards by it. */
  sequence: number;
  source: Source;
  /** For syncs: the master commit; for restores: the commit restored from. */
  sourceCommit?: string;
  restoredFrom?: string;
  createdAt: string;
  /** sha256 of the config.xml the appliance gets (secrets put back). */
  config: { sha256: string; size: number; encoding: string };
  /** sha256 of each committed file except manifest.json. */
  files: Record<string, { sha256: string; size: number }>;
  secrets: { count: number; digest: string; recipients: string[] };
  certificate: {
    subject: string;
    issuer: string;
    fingerprint256: string;
    notBefore: string;
    notAfter: string;
  } | null;
}

export function encodeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

export function decodeManifest(bytes: Uint8Array, where: string): Manifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ConfvaultError(
      "VERIFY_FAILED",
      `manifest.json at ${where} is not valid JSON`,
      "the repository was edited by hand or damaged; restore another point",
    );
  }
  const m = parsed as Partial<Manifest>;
  if (
    m === null ||
    typeof m !== "object" ||
    m.format !== 1 ||
    typeof m.config?.sha256 !== "string" ||
    typeof m.files !== "object"
  ) {
    throw new ConfvaultError(
      "VERIFY_FAILED",
      `manifest.json at ${where} is not a format-1 manifest`,
      "this confvault reads repository format 1",
    );
  }
  return m as Manifest;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
