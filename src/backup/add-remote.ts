import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeLayout } from "../home/layout.ts";
import {
  checkNewRemote,
  checkRemoteName,
  type Remote,
  readRemotes,
  type Transport,
  writeRemotes,
} from "./remote-store.ts";
import { writeRemoteToken } from "./remote-token.ts";
import { classifyRemoteUrl } from "./remote-url.ts";

export interface AddRemoteInput {
  name: string;
  url: string;
  transport?: Transport;
  tokenEnv?: string;
  /** A token to keep in `<home>/remotes/NAME.token` (mode 0600). */
  token?: string;
  username?: string;
  now: Date;
}

/** Registers a remote in `<home>/remotes.json`; the token, if any, goes to its own 0600 file. */
export async function addRemoteTo(layout: HomeLayout, input: AddRemoteInput): Promise<Remote> {
  checkRemoteName(input.name, "offsite");
  const kind = classifyRemoteUrl(input.url);
  if (input.transport === "isomorphic-git" && kind !== "http") {
    throw new ConfvaultError(
      "BAD_USAGE",
      "isomorphic-git only speaks http(s)",
      "drop --transport isomorphic-git for ssh and file remotes",
    );
  }
  if (input.tokenEnv !== undefined && input.token !== undefined) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "give the token either through an environment variable or as a stored token, not both",
      "use --token-env VAR or --token-stdin",
    );
  }
  if (input.tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.tokenEnv)) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `'${input.tokenEnv}' is not an environment variable name`,
      "e.g. --token-env CONFVAULT_OFFSITE_TOKEN",
    );
  }
  const remotes = await readRemotes(layout.remotes);
  checkNewRemote(remotes, input.name);
  const remote: Remote = {
    name: input.name,
    url: input.url,
    transport: input.transport ?? "auto",
    ...(input.tokenEnv ? { tokenEnv: input.tokenEnv } : {}),
    username: input.username ?? "x-access-token",
    addedAt: input.now.toISOString(),
  };
  if (input.token !== undefined) await writeRemoteToken(layout.remoteTokens, input.name, input.token);
  await writeRemotes(layout.remotes, [...remotes, remote]);
  return remote;
}
