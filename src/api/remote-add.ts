import { addRemoteTo } from "../backup/add-remote.ts";
import type { Remote, Transport } from "../backup/remote-store.ts";
import type { S3Credentials } from "../backup/s3-adapter.ts";
import { addS3RemoteTo } from "../backup/s3-add-remote.ts";
import { isS3Url, type S3RemoteSettings } from "../backup/s3-settings.ts";
import { lockHome } from "../core/lock-home.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

export interface RemoteAddOptions {
  ctx: HomeContext;
  name: string;
  url: string;
  /** "auto" (default): git CLI when on PATH, isomorphic-git for http(s) otherwise. */
  transport?: Transport;
  /** Environment variable holding the token at push time. */
  tokenEnv?: string;
  /** Token to store in `<home>/remotes/NAME.token` (mode 0600). */
  token?: string;
  username?: string;
  /** s3:// remotes: endpoint, region, path style, object lock. */
  s3?: Partial<S3RemoteSettings>;
  /** s3:// remotes: kept in `<home>/remotes/NAME.s3-credentials` (0600); default: AWS_* at push time. */
  s3Credentials?: S3Credentials;
}

/** Registers an off-site remote. Tokens never go into remotes.json or settings.json. */
export async function remoteAdd({
  ctx,
  name,
  url,
  transport,
  tokenEnv,
  token,
  username,
  s3,
  s3Credentials,
}: RemoteAddOptions): Promise<Remote> {
  const lock = await lockHome(ctx, "remote add");
  try {
    if (isS3Url(url)) {
      if (token !== undefined || tokenEnv !== undefined || (transport && transport !== "auto")) {
        throw new ConfvaultError(
          "BAD_USAGE",
          "an s3:// remote takes no token or transport",
          "credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or --credentials-stdin",
        );
      }
      return await addS3RemoteTo(ctx.layout, {
        name,
        url,
        settings: s3 ?? {},
        ...(s3Credentials ? { credentials: s3Credentials } : {}),
        now: ctx.now(),
      });
    }
    if (s3 !== undefined || s3Credentials !== undefined) {
      throw new ConfvaultError(
        "BAD_USAGE",
        "--endpoint, --region, --path-style, --lock-* and --credentials-stdin are for s3:// remotes",
        "give an s3://bucket/prefix URL, or drop those options",
      );
    }
    return await addRemoteTo(ctx.layout, { name, url, transport, tokenEnv, token, username, now: ctx.now() });
  } catch (err) {
    throw inOperation("remote add", err);
  } finally {
    await lock.release();
  }
}
