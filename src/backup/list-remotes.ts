import { promises as fsp } from "node:fs";
import type { HomeLayout } from "../home/layout.ts";
import { type PushRecord, readPushRecords, readRemotes } from "./remote-store.ts";
import { tokenFile } from "./remote-token.ts";
import { redactUrl } from "./remote-url.ts";

export interface RemoteEntry {
  name: string;
  url: string;
  transport: string;
  /** Where the token comes from: "env:VAR", "file", or "none". */
  token: string;
  lastPush: PushRecord | null;
}

/** The remotes with where their token comes from and their last push (time, result, error). */
export async function listRemotesOf(layout: HomeLayout): Promise<RemoteEntry[]> {
  const [remotes, records] = await Promise.all([
    readRemotes(layout.remotes),
    readPushRecords(layout.remoteState),
  ]);
  return await Promise.all(
    remotes.map(async (r) => {
      const hasFile = await fsp.stat(tokenFile(layout.remoteTokens, r.name)).then(
        () => true,
        () => false,
      );
      return {
        name: r.name,
        url: redactUrl(r.url),
        transport: r.transport,
        token: r.tokenEnv ? `env:${r.tokenEnv}` : hasFile ? "file" : "none",
        lastPush: records[r.name] ?? null,
      };
    }),
  );
}
