import { sha256Hex } from "../core/manifest.ts";
import { CONFIG_FILE } from "../core/prepare-snapshot.ts";
import { type OpenedSnapshot, readSnapshot } from "../core/read-snapshot.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { restoreSecrets } from "../seal/lift-secrets.ts";
import { unsealBundle } from "../seal/unseal-bundle.ts";

/**
 * Opens a restore point fetched from a remote. The seal is checked first, so a modified bundle
 * is reported as SEAL_TAMPERED (and a wrong key as WRONG_KEY) even when its manifest hash no
 * longer matches either; neither can be overridden. Then every file and the reassembled
 * config.xml are checked against the manifest: MANIFEST_MISMATCH, unless `force`, in which case
 * the mismatches come back for the caller to report.
 */
export async function openRecoveredPoint(
  ctx: HomeContext,
  ref: string,
  force: boolean,
): Promise<{ snap: OpenedSnapshot; mismatches: string[] }> {
  const snap = await readSnapshot(ctx, ref, { force: true });
  const keys = await ctx.keys();
  const bundle = await unsealBundle(snap.sealed, [keys.identity]);
  const config = restoreSecrets(snap.committedConfig, bundle.secrets);
  const mismatches: string[] = [];
  for (const [name, bytes] of [
    [CONFIG_FILE, snap.committedConfig],
    ["secrets.sealed.age", snap.sealed],
  ] as const) {
    if (snap.manifest.files[name]?.sha256 !== (await sha256Hex(bytes))) mismatches.push(name);
  }
  if (!mismatches.includes(CONFIG_FILE) && (await sha256Hex(config)) !== snap.manifest.config.sha256)
    mismatches.push(`${CONFIG_FILE} (restored)`);
  if (mismatches.length > 0 && !force) {
    throw new ConfvaultError(
      "MANIFEST_MISMATCH",
      `${mismatches.join(", ")} at ${ref} do(es) not match the manifest: the remote's copy was changed outside confvault`,
      "recover another restore point (--ref rp/…), or pass --force if you trust these bytes; nothing was written",
      { ref, files: mismatches },
    );
  }
  return { snap: { ...snap, config, bundle }, mismatches };
}
