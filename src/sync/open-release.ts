import { base64 } from "@scure/base";
import type { Manifest } from "../core/manifest.ts";
import { sha256Hex } from "../core/manifest.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { certificateFacts } from "../seal/certificate-facts.ts";
import { restoreSecrets } from "../seal/lift-secrets.ts";
import { unsealBundle } from "../seal/unseal-bundle.ts";
import type { X509Adapter } from "../seal/x509-adapter.ts";
import { type Release, type ReleaseHead, releaseSchema, signedHeadSchema } from "./release.ts";
import { headSignedBytes, releaseSignedBytes, untrusted, verifySigned } from "./release-signature.ts";

export interface OpenedRelease {
  commit: string;
  sequence: number;
  tag: string;
  reason: string;
  actor: string;
  manifest: Manifest;
  /** The master's config.xml, secrets in place, verified against manifest.config.sha256. */
  config: Uint8Array;
  cert?: string;
  key?: string;
}

function mismatch(what: string, commit: string): never {
  throw new ConfvaultError(
    "MANIFEST_MISMATCH",
    `release ${commit.slice(0, 12)}: ${what}`,
    "the release was altered between master and slave; nothing was applied. Check the network path and the master's repository (`confvault verify` there)",
    { commit },
  );
}

/**
 * Verifies a fetched release and opens it with this slave's own identity. First, before anything
 * is unsealed: the master's Ed25519 signature (release-signature.ts) by one of `masterKeys`, then
 * the commit and the recipient asked for (RELEASE_UNTRUSTED for any of these: nothing from the relay is believed).
 * Then the cluster, the committed config's hash, the sealed bundle, the restored config's hash
 * and the certificate's fingerprint. Nothing is trusted from the webhook that triggered the fetch.
 */
export async function openRelease(
  raw: unknown,
  options: {
    identity: string;
    cluster: string;
    /** The master keys this node trusts (`ssh-ed25519 …`, learned at join). */
    masterKeys: readonly string[];
    commit?: string;
    /** This node's own age recipient: a release sealed for any other is refused before unsealing. */
    recipient?: string;
    x509?: X509Adapter;
  },
): Promise<OpenedRelease> {
  const parsed = releaseSchema.safeParse(raw);
  if (!parsed.success) {
    untrusted("malformed", "the master's answer is not a release", {
      problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    });
  }
  const r = parsed.data as unknown as Release;
  let committed: Uint8Array;
  let sealed: Uint8Array;
  try {
    committed = base64.decode(r.config);
    sealed = base64.decode(r.bundle);
  } catch {
    untrusted("malformed", `release ${r.commit.slice(0, 12)}: config or bundle is not base64`);
  }
  const bytes = await releaseSignedBytes({
    cluster: r.cluster,
    commit: r.commit,
    sequence: r.sequence,
    tag: r.tag,
    recipient: r.recipient ?? "",
    reason: r.reason,
    actor: r.actor,
    manifest: r.manifest,
    config: committed,
    bundle: sealed,
  });
  await verifySigned(`release ${r.commit.slice(0, 12)}`, bytes, r.signature, options.masterKeys);
  if (options.commit !== undefined && r.commit !== options.commit)
    untrusted("wrong-commit", `asked for ${options.commit}, the master answered with commit ${r.commit}`);
  if (options.recipient !== undefined && r.recipient !== options.recipient)
    untrusted(
      "wrong-recipient",
      `release ${r.commit.slice(0, 12)} was sealed for another node's recipient, not this one's`,
      { recipient: String(r.recipient ?? "").slice(0, 120) },
    );
  if (r.cluster !== options.cluster) {
    throw new ConfvaultError(
      "FOREIGN_CLUSTER",
      `the release belongs to cluster "${r.cluster}", this node is in "${options.cluster}"`,
      "join this node to the right master",
    );
  }
  if (r.manifest.sequence !== r.sequence) mismatch("its sequence differs from its manifest's", r.commit);
  if ((await sha256Hex(committed)) !== r.manifest.files?.["config.xml"]?.sha256) {
    mismatch("config.xml does not match the sha256 in its manifest", r.commit);
  }
  const bundle = await unsealBundle(sealed, [options.identity]);
  const config = restoreSecrets(committed, bundle.secrets);
  if ((await sha256Hex(config)) !== r.manifest.config.sha256) {
    mismatch("the config with its secrets put back does not match manifest.config.sha256", r.commit);
  }
  if (options.x509 && bundle.cert !== undefined && bundle.key !== undefined) {
    const facts = certificateFacts(bundle.cert, bundle.key, options.x509);
    if (r.manifest.certificate && facts.fingerprint256 !== r.manifest.certificate.fingerprint256) {
      mismatch("the root certificate does not match the fingerprint in its manifest", r.commit);
    }
  }
  return {
    commit: r.commit,
    sequence: r.sequence,
    tag: r.tag,
    reason: r.reason,
    actor: r.actor,
    manifest: r.manifest,
    config,
    cert: bundle.cert,
    key: bundle.key,
  };
}

/** Verifies the master's signed `latest` head; RELEASE_UNTRUSTED unless one of `masterKeys` signed it. */
export async function verifyReleaseHead(
  raw: unknown,
  options: { cluster: string; masterKeys: readonly string[] },
): Promise<ReleaseHead> {
  const parsed = signedHeadSchema.safeParse(raw);
  if (!parsed.success)
    untrusted("malformed", "the master's latest head is not {cluster, commit, sequence, tag, signature}");
  const h = parsed.data;
  await verifySigned(
    `latest head ${h.commit.slice(0, 12)}`,
    headSignedBytes(h),
    h.signature,
    options.masterKeys,
  );
  if (h.cluster !== options.cluster) {
    throw new ConfvaultError(
      "FOREIGN_CLUSTER",
      `the latest head belongs to cluster "${h.cluster}", this node is in "${options.cluster}"`,
      "join this node to the right master",
    );
  }
  return { commit: h.commit, sequence: h.sequence, tag: h.tag };
}
