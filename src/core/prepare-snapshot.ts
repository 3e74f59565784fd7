import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { bundleDigest } from "../seal/bundle-digest.ts";
import { certificateFacts } from "../seal/certificate-facts.ts";
import { checkForLeaks } from "../seal/leak-guard.ts";
import { liftSecrets, restoreSecrets } from "../seal/lift-secrets.ts";
import { nodeX509 } from "../seal/node-x509.ts";
import { sealBundle } from "../seal/seal-bundle.ts";
import { unsealBundle } from "../seal/unseal-bundle.ts";
import { scanXml } from "../xml/scan-xml.ts";
import type { XmlScan } from "../xml/types.ts";
import { decodeManifest, type Manifest, type Source, sha256Hex } from "./manifest.ts";
import { repoGuideFiles } from "./repo-guide.ts";

export const CONFIG_FILE = "config.xml";
export const SEALED_FILE = "secrets.sealed.age";
export const MANIFEST_FILE = "manifest.json";
export const KEYRING_FILE = "keyring.sealed.age";

export interface SnapshotInput {
  /** The config.xml the appliance gets, secrets in place. */
  config: Uint8Array;
  cert?: string;
  key?: string;
  source: Source;
  sourceCommit?: string;
  restoredFrom?: string;
  /** A sealed bundle known to hold exactly this content (restore of an older point). */
  reuseSealed?: { digest: string; bytes: Uint8Array };
  /** A new keyring (key rotation); otherwise the parent's keyring is carried forward. */
  keyring?: Uint8Array;
  /** Values for markers already present in the config (e.g. from a release's bundle). */
  knownSecrets?: Record<string, string>;
}

export interface PreparedSnapshot {
  parent: string | null;
  parentManifest: Manifest | null;
  manifest: Manifest;
  files: Record<string, Uint8Array>;
  /** The config.xml the appliance gets (secrets in place). */
  applied: Uint8Array;
  scan: XmlScan;
  /** True when config, secrets and certificate equal the current tip. */
  unchanged: boolean;
  warnings: string[];
}

/** A sealed bundle may be reused when its bytes hash as recorded and it opens to `digest`. */
async function reusable(
  ctx: HomeContext,
  bytes: Uint8Array,
  sha256: string | undefined,
  digest: string,
  keys: { identity: string; markerKey: Uint8Array },
): Promise<boolean> {
  if (sha256 !== undefined && (await sha256Hex(bytes)) !== sha256) return false;
  try {
    // Through the home's bundle cache (keyed by blob id): a restore just opened it, a server has.
    const unseal = () => unsealBundle(bytes, [keys.identity]);
    const opened = await (ctx.bundles ? ctx.bundles.open(bytes, keys.identity, unseal) : unseal());
    return bundleDigest(opened, keys.markerKey) === digest;
  } catch {
    return false;
  }
}

/**
 * Validates a config and turns it into the files of one restore point, without writing
 * anything: well-formedness, secret lifting, sealing (skipped when the secrets did not change),
 * the leak guard and the manifest.
 */
export async function prepareSnapshot(ctx: HomeContext, input: SnapshotInput): Promise<PreparedSnapshot> {
  const { profile, settings, engine } = ctx;
  const scan = scanXml(input.config, { patterns: profile.secretPaths });
  if (profile.rootElement && scan.rootName !== profile.rootElement) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `config.xml has root element <${scan.rootName}>, but the ${profile.name} profile expects <${profile.rootElement}>`,
      "check that you picked the right file, or init the home with the matching --profile",
    );
  }
  const warnings: string[] = [];
  if ((input.cert === undefined) !== (input.key === undefined)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "a certificate needs its private key and the other way round",
      "pass both --cert and --key, or neither",
    );
  }
  let certificate: Manifest["certificate"] = null;
  if (input.cert !== undefined && input.key !== undefined) {
    const facts = certificateFacts(input.cert, input.key, nodeX509, ctx.now());
    certificate = {
      subject: facts.subject,
      issuer: facts.issuer,
      fingerprint256: facts.fingerprint256,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
    };
    if (facts.expiresInDays < 30) {
      warnings.push(
        facts.expiresInDays < 0
          ? `the root certificate expired on ${facts.notAfter}`
          : `the root certificate expires in ${Math.floor(facts.expiresInDays)} days (${facts.notAfter})`,
      );
    }
  }

  const keys = await ctx.keys();
  const secretSpans = scan.matches.filter((m) => !m.hasChildren && m.contentEnd > m.contentStart);
  const lifted = liftSecrets(input.config, secretSpans, keys.markerKey);
  const parent = await engine.branchTip("main");
  const parentManifest = parent ? decodeManifest(await engine.readFile(parent, MANIFEST_FILE), parent) : null;
  // A wrong activation key derives another recipient: refuse before sealing a restore point to a
  // key nobody holds (a rotation brings its own keyring and is the one way to change keys).
  if (parentManifest && !input.keyring && !parentManifest.secrets.recipients.includes(keys.recipient)) {
    throw new ConfvaultError(
      "WRONG_KEY",
      "the activation key in use is not the one the current restore point is sealed to; nothing was written",
      "use this home's activation key (CONFVAULT_ACTIVATION_KEY, --key-file or settings keyFile); `confvault keys rotate` is the way to change keys",
      { recipient: keys.recipient },
    );
  }
  const secrets = { ...lifted.secrets };
  if (lifted.existingMarkers.length > 0) {
    // A config taken from the repository (a merged pull request, a copied committed file)
    // already holds markers: their values come from the current bundle.
    const known = parent
      ? (await unsealBundle(await engine.readFile(parent, SEALED_FILE), [keys.identity])).secrets
      : {};
    for (const marker of lifted.existingMarkers) {
      const value = known[marker] ?? input.knownSecrets?.[marker];
      if (value === undefined) {
        throw new ConfvaultError(
          "BAD_INPUT",
          `config.xml holds the secret marker ${marker}, but no restore point of this home knows its value`,
          "put the real secret value into the config instead of the marker",
          { marker },
        );
      }
      secrets[marker] = value;
    }
  }
  // What the appliance gets: the input, with the values of any pre-existing markers put back.
  const applied = lifted.existingMarkers.length > 0 ? restoreSecrets(lifted.bytes, secrets) : input.config;
  const bundle = { version: 1 as const, cert: input.cert, key: input.key, secrets };
  const digest = bundleDigest(bundle, keys.markerKey);
  const sameRecipients = (m: Manifest | null) =>
    m !== null &&
    m.secrets.recipients.length === keys.recipients.length &&
    m.secrets.recipients.every((r, i) => r === keys.recipients[i]);

  let sealed: Uint8Array | undefined;
  if (parent && parentManifest?.secrets.digest === digest && sameRecipients(parentManifest)) {
    // Reused only once checked: the blob's hash against the parent's manifest, and the bundle
    // opens to the same content, so a tampered bundle or a corrupt object is not carried forward.
    // A corrupt object (git's own hash check fails) reads as not reusable.
    const reused = await engine.readFile(parent, SEALED_FILE).catch(() => null);
    if (reused && (await reusable(ctx, reused, parentManifest.files[SEALED_FILE]?.sha256, digest, keys)))
      sealed = reused;
    else warnings.push("the current restore point's sealed bundle did not check out: sealed a fresh one");
  } else if (input.reuseSealed?.digest === digest && !(parentManifest && !sameRecipients(parentManifest))) {
    if ((await reusable(ctx, input.reuseSealed.bytes, undefined, digest, keys)) === true)
      sealed = input.reuseSealed.bytes;
  }
  sealed ??= await sealBundle(bundle, keys.recipients);

  const files: Record<string, Uint8Array> = {
    [CONFIG_FILE]: lifted.bytes,
    [SEALED_FILE]: sealed,
    // .gitattributes and a README from the first restore point on (older repositories get them
    // with their next change; neither is part of the policy or its diff).
    ...repoGuideFiles({ profile: profile.name, cluster: settings.cluster }),
  };
  let keyring = input.keyring;
  if (!keyring && parent && parentManifest?.files[KEYRING_FILE]) {
    keyring = await engine.readFile(parent, KEYRING_FILE);
    if ((await sha256Hex(keyring)) !== parentManifest.files[KEYRING_FILE].sha256) {
      throw new ConfvaultError(
        "MANIFEST_MISMATCH",
        `${KEYRING_FILE} of the current restore point does not match its manifest; it was not carried forward`,
        "the repository was changed outside confvault: restore a known-good restore point first (`confvault verify` names the bad ones)",
        { file: KEYRING_FILE },
      );
    }
  }
  if (keyring) files[KEYRING_FILE] = keyring;
  const secretValues = Object.values(secrets).map((b64) =>
    Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
  );
  checkForLeaks(files, { secretValues, minSecretLength: 12, allow: settings.leakGuard?.allow });

  const fileFacts: Manifest["files"] = {};
  for (const [name, bytes] of Object.entries(files))
    fileFacts[name] = { sha256: await sha256Hex(bytes), size: bytes.length };
  const manifest: Manifest = {
    format: 1,
    profile: profile.name,
    cluster: settings.cluster,
    node: settings.node,
    sequence: (parentManifest?.sequence ?? 0) + 1,
    source: input.source,
    ...(input.sourceCommit ? { sourceCommit: input.sourceCommit } : {}),
    ...(input.restoredFrom ? { restoredFrom: input.restoredFrom } : {}),
    createdAt: ctx.now().toISOString(),
    config: { sha256: await sha256Hex(applied), size: applied.length, encoding: scan.encoding },
    files: fileFacts,
    secrets: { count: Object.keys(secrets).length, digest, recipients: keys.recipients },
    certificate,
  };
  const unchanged =
    parentManifest !== null &&
    parentManifest.config.sha256 === manifest.config.sha256 &&
    parentManifest.secrets.digest === digest &&
    JSON.stringify(parentManifest.certificate) === JSON.stringify(certificate);
  return { parent, parentManifest, manifest, files, applied, scan, unchanged, warnings };
}
