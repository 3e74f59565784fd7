import { allowedSignersPath, publishSigner, readAllowedSigners } from "../home/allowed-signers.ts";
import type { HomeContext } from "../home/context.ts";
import type { SignPayload } from "../repo/engine.ts";
import { gitSshSigner } from "../seal/ssh-signature.ts";
import { changeAuthor } from "./change-author.ts";

/**
 * The principal of this node's signatures in the allowed-signers file: the committer/tagger
 * email of every change it makes (change-author.ts), so `git log --show-signature` names the
 * same identity that the commit shows.
 */
export function signerPrincipal(ctx: HomeContext): string {
  return changeAuthor(ctx, "confvault").email;
}

/**
 * Signs commits and tags with the node's Ed25519 key in git's SSH signature format, after
 * making sure the key's line is in `<home>/allowed_signers` and the repository points git at it.
 */
export async function changeSigner(ctx: HomeContext): Promise<SignPayload> {
  const { signer } = await ctx.keys();
  await publishSigner(ctx.layout, signerPrincipal(ctx), signer.sshPublicKey);
  return gitSshSigner(signer);
}

/** Keys whose signatures count as this home's: the allowed-signers file plus the current key when derivable. */
export async function knownSigningKeys(ctx: HomeContext): Promise<Uint8Array[]> {
  const keys = (await readAllowedSigners(allowedSignersPath(ctx.layout.dir))).map((s) => s.publicKey);
  try {
    keys.push((await ctx.keys()).signer.publicKey);
  } catch {
    // no activation key here: the file alone decides
  }
  return keys;
}
