import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { openKeyring } from "../seal/keyring.ts";
import { restoreSecrets } from "../seal/lift-secrets.ts";
import type { SecretBundle } from "../seal/secret-bundle.ts";
import { unsealBundle } from "../seal/unseal-bundle.ts";
import { decodeManifest, type Manifest, sha256Hex } from "./manifest.ts";
import { CONFIG_FILE, KEYRING_FILE, MANIFEST_FILE, SEALED_FILE } from "./prepare-snapshot.ts";

export interface Snapshot {
  commit: string;
  manifest: Manifest;
  /** config.xml as committed (secret markers in place). */
  committedConfig: Uint8Array;
  sealed: Uint8Array;
}

export interface OpenedSnapshot extends Snapshot {
  /** The appliance's config.xml, byte for byte as applied. */
  config: Uint8Array;
  bundle: SecretBundle;
}

/** Reads a restore point's files and checks them against its manifest (no key needed). */
export async function readSnapshot(
  ctx: HomeContext,
  ref: string,
  options: { force?: boolean } = {},
): Promise<Snapshot> {
  const commit = await ctx.engine.resolveCommit(ref);
  const manifest = decodeManifest(await ctx.engine.readFile(commit, MANIFEST_FILE), ref);
  const [committedConfig, sealed] = await Promise.all([
    ctx.engine.readFile(commit, CONFIG_FILE),
    ctx.engine.readFile(commit, SEALED_FILE),
  ]);
  if (!options.force) {
    // Every file the manifest lists (the keyring too, after a rotation), and the two every point has.
    const names = new Set([CONFIG_FILE, SEALED_FILE, ...Object.keys(manifest.files)]);
    for (const name of names) {
      const bytes =
        name === CONFIG_FILE
          ? committedConfig
          : name === SEALED_FILE
            ? sealed
            : await ctx.engine.readFile(commit, name);
      const expected = manifest.files[name]?.sha256;
      const actual = await sha256Hex(bytes);
      if (expected !== actual) {
        throw new ConfvaultError(
          "MANIFEST_MISMATCH",
          `${name} at ${ref} does not match its manifest (sha256 ${actual.slice(0, 12)}…, manifest says ${String(expected).slice(0, 12)}…)`,
          "the repository was changed outside confvault; restore another point, or pass --force if you trust these bytes",
          { ref, file: name },
        );
      }
    }
  }
  return { commit, manifest, committedConfig, sealed };
}

async function keyringIdentities(ctx: HomeContext, identity: string): Promise<string[]> {
  const tip = await ctx.engine.branchTip("main");
  if (!tip) return [];
  let bytes: Uint8Array;
  try {
    bytes = await ctx.engine.readFile(tip, KEYRING_FILE);
  } catch {
    return [];
  }
  return (await openKeyring(bytes, [identity])).identities;
}

/** Opens a sealed bundle with this home's identity, or an earlier one from the keyring. */
export async function openBundle(ctx: HomeContext, sealed: Uint8Array): Promise<SecretBundle> {
  const keys = await ctx.keys();
  const unseal = async () => {
    try {
      return await unsealBundle(sealed, [keys.identity]);
    } catch (err) {
      if (!isConfvaultError(err, "WRONG_KEY")) throw err;
      // Sealed before a key rotation: the keyring at the tip of main holds the earlier identities.
      const earlier = await keyringIdentities(ctx, keys.identity);
      if (earlier.length === 0) throw err;
      return await unsealBundle(sealed, earlier);
    }
  };
  // Repeated reads in one process (a server) unseal each blob once, in memory only.
  return ctx.bundles ? ctx.bundles.open(sealed, keys.identity, unseal) : unseal();
}

/** Reads, unseals and reassembles a restore point; verifies the result against the manifest. */
export async function openSnapshot(
  ctx: HomeContext,
  ref: string,
  options: { force?: boolean } = {},
): Promise<OpenedSnapshot> {
  const snap = await readSnapshot(ctx, ref, options);
  const bundle = await openBundle(ctx, snap.sealed);
  const config = restoreSecrets(snap.committedConfig, bundle.secrets);
  if (!options.force) {
    const actual = await sha256Hex(config);
    if (actual !== snap.manifest.config.sha256) {
      throw new ConfvaultError(
        "MANIFEST_MISMATCH",
        `the restored config.xml of ${ref} does not match the sha256 in its manifest`,
        "the repository was changed outside confvault; restore another point, or pass --force if you trust these bytes",
        { ref, file: CONFIG_FILE },
      );
    }
  }
  return { ...snap, config, bundle };
}
