import { CONFIG_FILE, MANIFEST_FILE, SEALED_FILE } from "../core/prepare-snapshot.ts";
import { openSnapshot, readSnapshot } from "../core/read-snapshot.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

export const SHOWABLE = [CONFIG_FILE, MANIFEST_FILE, SEALED_FILE, "committed/config.xml"] as const;

/**
 * A file as it was at a restore point. `config.xml` gives the appliance's bytes (secrets put
 * back, needs the activation key); `committed/config.xml` the committed bytes with markers.
 */
export async function showFile({
  ctx,
  ref,
  file = CONFIG_FILE,
}: {
  ctx: HomeContext;
  ref: string;
  file?: string;
}): Promise<Uint8Array> {
  try {
    if (file === CONFIG_FILE) return (await openSnapshot(ctx, ref)).config;
    if (file === "committed/config.xml") return (await readSnapshot(ctx, ref)).committedConfig;
    if (file === MANIFEST_FILE || file === SEALED_FILE) {
      const commit = await ctx.engine.resolveCommit(ref);
      return await ctx.engine.readFile(commit, file);
    }
    throw new ConfvaultError("BAD_USAGE", `unknown file "${file}"`, `use one of: ${SHOWABLE.join(", ")}`);
  } catch (err) {
    throw inOperation("show", err);
  }
}
