import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import type { DerivedIdentity } from "../seal/derive-identity.ts";

/**
 * The derived identity kept beside the activation key so a keyed command skips scrypt (~100-190
 * ms). Only for a key stored in the home itself (`<home>/activation.key`, mode 0600): the cache
 * `<home>/state/identity.json` gets the same protection (mode 0600, same owner, same home), and
 * it reveals nothing the key file does not. A key from the environment, from `--key-file` or from
 * systemd credentials is never written to disk this way. The entry names the key by a SHA-256 of
 * key and cluster, so another key or cluster derives afresh; `keys rotate` removes the file.
 */
function keyId(activationKey: string, cluster: string): string {
  return createHash("sha256")
    .update(`confvault-identity-cache-v1\0${cluster}\0${activationKey.trim()}`)
    .digest("hex");
}

interface Entry {
  version: 1;
  key: string;
  identity: string;
  recipient: string;
  markerKey: string;
  signingSeed: string;
}

export async function readIdentityCache(
  file: string,
  activationKey: string,
  cluster: string,
): Promise<DerivedIdentity | undefined> {
  try {
    const st = await fsp.stat(file);
    // Looser than 0600 (someone widened it): do not trust it, derive again and rewrite it.
    if ((st.mode & 0o077) !== 0) return undefined;
    const e = JSON.parse(await fsp.readFile(file, "utf8")) as Entry;
    if (e.version !== 1 || e.key !== keyId(activationKey, cluster)) return undefined;
    const markerKey = new Uint8Array(Buffer.from(e.markerKey, "base64"));
    const signingSeed = new Uint8Array(Buffer.from(e.signingSeed, "base64"));
    if (markerKey.length !== 32 || signingSeed.length !== 32 || !e.identity.startsWith("AGE-SECRET-KEY-1"))
      return undefined;
    return { identity: e.identity, recipient: e.recipient, markerKey, signingSeed };
  } catch {
    return undefined;
  }
}

export async function writeIdentityCache(
  file: string,
  activationKey: string,
  cluster: string,
  derived: DerivedIdentity,
): Promise<void> {
  const entry: Entry = {
    version: 1,
    key: keyId(activationKey, cluster),
    identity: derived.identity,
    recipient: derived.recipient,
    markerKey: Buffer.from(derived.markerKey).toString("base64"),
    signingSeed: Buffer.from(derived.signingSeed).toString("base64"),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fsp.writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
    await fsp.rename(tmp, file);
  } catch {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
}
