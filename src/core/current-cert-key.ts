import { promises as fsp } from "node:fs";
import type { HomeContext } from "../home/context.ts";
import { decodeManifest } from "./manifest.ts";
import { MANIFEST_FILE, SEALED_FILE } from "./prepare-snapshot.ts";
import { openBundle } from "./read-snapshot.ts";

async function readText(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * The certificate and key an apply keeps when none was given: the live files when both exist,
 * otherwise those of the current restore point.
 */
export async function currentCertKey(
  ctx: HomeContext,
  parent: string | null,
): Promise<{ cert?: string; key?: string }> {
  const [cert, key] = await Promise.all([readText(ctx.live("cert")), readText(ctx.live("key"))]);
  if (cert !== undefined && key !== undefined) return { cert, key };
  if (!parent) return {};
  const manifest = decodeManifest(await ctx.engine.readFile(parent, MANIFEST_FILE), parent);
  if (!manifest.certificate) return {};
  const bundle = await openBundle(ctx, await ctx.engine.readFile(parent, SEALED_FILE));
  return bundle.cert !== undefined && bundle.key !== undefined ? { cert: bundle.cert, key: bundle.key } : {};
}

/** The restore point tag that points at a commit, if any (newest first). */
export async function tagOf(ctx: HomeContext, commit: string): Promise<string | undefined> {
  const tags = await ctx.engine.listTags("rp/");
  return tags.find((t) => t.commit === commit)?.name;
}
