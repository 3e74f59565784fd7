import { promises as fsp } from "node:fs";
import { listRemotesOf, type RemoteEntry } from "../backup/list-remotes.ts";
import { readRemotes } from "../backup/remote-store.ts";
import { s3CredentialsFile } from "../backup/s3-adapter.ts";
import { isS3Url, type S3RemoteSettings } from "../backup/s3-settings.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** Remotes with their token source and last push (time, ok, error); s3 remotes with their settings. */
export async function remoteList({
  ctx,
}: {
  ctx: HomeContext;
}): Promise<Array<RemoteEntry & { s3?: S3RemoteSettings }>> {
  try {
    const entries = await listRemotesOf(ctx.layout);
    if (!entries.some((e) => isS3Url(e.url))) return entries;
    const defs = new Map((await readRemotes(ctx.layout.remotes)).map((r) => [r.name, r]));
    return await Promise.all(
      entries.map(async (e) => {
        if (!isS3Url(e.url)) return e;
        const file = await fsp.stat(s3CredentialsFile(ctx.layout.remoteTokens, e.name)).then(
          () => true,
          () => false,
        );
        const s3 = defs.get(e.name)?.s3;
        return {
          ...e,
          transport: "s3",
          token: file ? "file" : "env:AWS_ACCESS_KEY_ID",
          ...(s3 ? { s3 } : {}),
        };
      }),
    );
  } catch (err) {
    throw inOperation("remote list", err);
  }
}
