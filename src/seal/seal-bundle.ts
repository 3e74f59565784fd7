import { Encrypter } from "age-encryption";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { validateRecipients } from "./recipients.ts";
import { canonicalBundleJson, type SecretBundle } from "./secret-bundle.ts";

/**
 * Encrypts the bundle's canonical JSON to every recipient in the binary age format
 * (readable by `age -d -i IDENTITY_FILE`). Any one recipient's identity opens it.
 */
export async function sealBundle(bundle: SecretBundle, recipients: readonly string[]): Promise<Uint8Array> {
  const valid = validateRecipients(recipients);
  if (valid.length === 0) {
    throw new ConfvaultError(
      "KEY_MISSING",
      "no recipient to seal the bundle to",
      "pass at least the node's own recipient (derived from the activation key)",
      { operation: "sealBundle" },
    );
  }
  const plaintext = new TextEncoder().encode(canonicalBundleJson(bundle));
  const encrypter = new Encrypter();
  for (const r of valid) encrypter.addRecipient(r);
  try {
    return await encrypter.encrypt(plaintext);
  } finally {
    plaintext.fill(0);
  }
}
