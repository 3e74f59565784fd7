import type { HomeContext } from "../home/context.ts";
import { type SignatureCheck, sshFingerprint, verifySshSignature } from "../seal/ssh-signature.ts";

/** How a commit or tag object is signed: by a key of this home, not at all, or badly. */
export interface SignatureStatus {
  status: "valid" | "unsigned" | "invalid" | "unknown-key";
  /** `SHA256:…` of the signing key, when the signature names one. */
  key?: string;
  reason?: string;
}

export interface PointSignatures {
  commit: SignatureStatus;
  /** The restore point's annotated tag (absent when the ref is not a tag, e.g. `main`). */
  tag?: SignatureStatus;
}

/**
 * Checks the SSH signatures (git's `gpg.format=ssh`) of a restore point's commit and tag in
 * process, against the keys of this home. Older, unsigned points are "unsigned", not failures;
 * a good signature by a key this home does not know is "unknown-key" (anyone can sign).
 */
export async function checkSignatures(
  ctx: HomeContext,
  commit: string,
  tagOid: string | undefined,
  knownKeys: readonly Uint8Array[],
): Promise<PointSignatures> {
  const out: PointSignatures = { commit: await objectSignature(ctx, commit, knownKeys) };
  if (tagOid !== undefined) out.tag = await objectSignature(ctx, tagOid, knownKeys);
  return out;
}

async function objectSignature(
  ctx: HomeContext,
  oid: string,
  knownKeys: readonly Uint8Array[],
): Promise<SignatureStatus> {
  const { payload, signature } = await ctx.engine.readSigned(oid);
  if (signature === null) return { status: "unsigned" };
  const check: SignatureCheck = await verifySshSignature(signature, payload, knownKeys);
  const key = check.publicKey ? await sshFingerprint(check.publicKey) : undefined;
  const status: SignatureStatus = { status: check.status };
  if (key !== undefined) status.key = key;
  if (check.status === "invalid") status.reason = check.reason;
  if (check.status === "unknown-key") {
    status.reason = "signed by a key that is not in this home's allowed_signers";
  }
  return status;
}

/** True when no signature is invalid or by an unknown key (unsigned is fine). */
export function signaturesOk(s: PointSignatures): boolean {
  return [s.commit, s.tag].every((x) => x === undefined || x.status === "valid" || x.status === "unsigned");
}

/** One line per object for the point's check list, e.g. "tag signature valid (SHA256:…)". */
export function describeSignatures(s: PointSignatures): string[] {
  const one = (what: string, x: SignatureStatus) =>
    x.status === "valid"
      ? `${what} signature valid (${x.key})`
      : x.status === "unsigned"
        ? `${what} unsigned`
        : `${what} signature ${x.status}${x.key ? ` (${x.key})` : ""}: ${x.reason}`;
  return [one("commit", s.commit), ...(s.tag ? [one("tag", s.tag)] : [])];
}
