import { base64 } from "@scure/base";
import type { Manifest } from "../core/manifest.ts";
import { sha256Hex } from "../core/manifest.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { certificateFacts } from "../seal/certificate-facts.ts";
import { restoreSecrets } from "../seal/lift-secrets.ts";
import { unsealBundle } from "../seal/unseal-bundle.ts";
import type { X509Adapter } from "../seal/x509-adapter.ts";
import { type Release, releaseSchema } from "./release.ts";

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
 * Verifies a fetched release and opens it with this slave's own identity: the commit asked for,
 * the cluster, the committed config's hash, the sealed bundle, the restored config's hash and the
 * certificate's fingerprint. Nothing is trusted from the webhook that triggered the fetch.
 */
export async function openRelease(
  raw: unknown,
  options: { identity: string; cluster: string; commit?: string; x509?: X509Adapter },
): Promise<OpenedRelease> {
  const parsed = releaseSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfvaultError(
      "BAD_INPUT",
      "the master's answer is not a release",
      "the master runs an incompatible confvault version",
      {
        problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      },
    );
  }
  const r = parsed.data as unknown as Release;
  if (options.commit !== undefined && r.commit !== options.commit)
    mismatch(`the master answered with commit ${r.commit}`, options.commit);
  if (r.cluster !== options.cluster) {
    throw new ConfvaultError(
      "FOREIGN_CLUSTER",
      `the release belongs to cluster "${r.cluster}", this node is in "${options.cluster}"`,
      "join this node to the right master",
    );
  }
  if (r.manifest.sequence !== r.sequence) mismatch("its sequence differs from its manifest's", r.commit);
  let committed: Uint8Array;
  let sealed: Uint8Array;
  try {
    committed = base64.decode(r.config);
    sealed = base64.decode(r.bundle);
  } catch {
    mismatch("config or bundle is not base64", r.commit);
  }
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
