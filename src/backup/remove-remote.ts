import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeLayout } from "../home/layout.ts";
import { readRemotes, recordPush, writeRemotes } from "./remote-store.ts";
import { tokenFile } from "./remote-token.ts";
import { s3CredentialsFile } from "./s3-adapter.ts";

/** Forgets a remote: its definition, its stored token and its push record. The remote itself is untouched. */
export async function removeRemoteFrom(layout: HomeLayout, name: string): Promise<void> {
  const remotes = await readRemotes(layout.remotes);
  if (!remotes.some((r) => r.name === name)) {
    throw new ConfvaultError("NOT_FOUND", `no remote named ${name}`, "see `confvault remote list`", {
      remote: name,
    });
  }
  await writeRemotes(
    layout.remotes,
    remotes.filter((r) => r.name !== name),
  );
  await fsp.rm(tokenFile(layout.remoteTokens, name), { force: true });
  await fsp.rm(s3CredentialsFile(layout.remoteTokens, name), { force: true });
  await recordPush(layout.remoteState, name, null);
}
