import { Decrypter, Encrypter } from "age-encryption";
import { ConfvaultError } from "../errors/confvault-error.ts";

/**
 * The keyring (`keyring.sealed.age`, optional in repository format v1): the age identities of
 * earlier activation keys, sealed to the current ones. After `keys rotate`, old restore points
 * stay restorable with only the new activation key: their bundles open with a keyring identity.
 */
export interface Keyring {
  version: 1;
  /** Earlier identities, newest first. */
  identities: string[];
}

export async function sealKeyring(keyring: Keyring, recipients: readonly string[]): Promise<Uint8Array> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return await e.encrypt(JSON.stringify({ version: 1, identities: keyring.identities }));
}

export async function openKeyring(bytes: Uint8Array, identities: readonly string[]): Promise<Keyring> {
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  let text: string;
  try {
    text = await d.decrypt(bytes, "text");
  } catch (err) {
    const msg = (err as Error).message ?? "";
    throw new ConfvaultError(
      msg.includes("no identity matched") ? "WRONG_KEY" : "SEAL_TAMPERED",
      msg.includes("no identity matched")
        ? "the activation key does not open the keyring"
        : "the keyring is damaged or was altered",
      "use the newest activation key (after `keys rotate`, the new one)",
      {},
      err,
    );
  }
  const parsed = JSON.parse(text) as Partial<Keyring>;
  if (
    parsed.version !== 1 ||
    !Array.isArray(parsed.identities) ||
    !parsed.identities.every((i) => typeof i === "string" && i.startsWith("AGE-SECRET-KEY-1"))
  ) {
    throw new ConfvaultError(
      "SEAL_TAMPERED",
      "the keyring does not hold a list of age identities",
      "restore the repository from a remote copy",
    );
  }
  return { version: 1, identities: parsed.identities };
}
