import type { DerivedIdentity } from "../seal/derive-identity.ts";
import { createSigner } from "../seal/signing-key.ts";
import type { SealKeys } from "./context.ts";

/** The keys of a home from a derived identity and its escrow recipients (own recipient first). */
export async function sealKeysFrom(derived: DerivedIdentity, escrow: readonly string[]): Promise<SealKeys> {
  const { signingSeed, ...rest } = derived;
  const signer = await createSigner(signingSeed);
  return {
    ...rest,
    signer,
    recipients: [derived.recipient, ...escrow.filter((r) => r !== derived.recipient)],
  };
}
