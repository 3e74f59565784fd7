import { addRemoteTo } from "../backup/add-remote.ts";
import type { Remote, Transport } from "../backup/remote-store.ts";
import { lockHome } from "../core/lock-home.ts";
import { inOperation } from "../errors/confvault-error.ts";
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
}: RemoteAddOptions): Promise<Remote> {
  const lock = await lockHome(ctx, "remote add");
  try {
    return await addRemoteTo(ctx.layout, { name, url, transport, tokenEnv, token, username, now: ctx.now() });
  } catch (err) {
    throw inOperation("remote add", err);
  } finally {
    await lock.release();
  }
}
