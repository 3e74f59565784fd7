import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import type { RepoEngine } from "../repo/engine.ts";
import { createGitCli } from "../repo/git-cli.ts";
import { gitTransport } from "./git-transport.ts";
import { isoTransport } from "./iso-transport.ts";
import type { Remote } from "./remote-store.ts";
import { gitAuthEnv } from "./remote-token.ts";
import { classifyRemoteUrl, redactUrl } from "./remote-url.ts";
import type { PushProgress, PushTransport } from "./transport.ts";

export interface PushOutcome {
  remote: string;
  url: string;
  ok: boolean;
  transport: string;
  /** Refs created or moved on the remote ("main", "rp/…"). */
  updated: string[];
  error?: { code: string; message: string; hint: string };
}

export interface PushRemoteOptions {
  engine: RepoEngine;
  remote: Remote;
  token?: string;
  gitAvailable: boolean;
  onProgress?: (p: PushProgress) => void;
  /** Also push refs/confvault/trash/* (settings.retention.pushTrash; git CLI transport only). */
  pushTrash?: boolean;
}

/** Which program pushes to this remote (see Transport in remote-store.ts). */
export function pickTransport(remote: Remote, gitAvailable: boolean): "git" | "isomorphic-git" {
  const kind = classifyRemoteUrl(remote.url);
  if (remote.transport === "isomorphic-git") return "isomorphic-git";
  if (remote.transport === "git" || kind !== "http" || gitAvailable) {
    if (!gitAvailable) {
      throw new ConfvaultError(
        "GIT_FAILED",
        `remote ${remote.name} needs the git CLI (${kind} URL or --via-git), and git is not on PATH`,
        "install git 2.31 or newer",
      );
    }
    return "git";
  }
  return "isomorphic-git";
}

/**
 * Pushes main and every restore-point tag to one remote, fast-forward only. A remote whose main
 * is not an ancestor of ours, or that holds a restore point of the same name on another object,
 * is REMOTE_DIVERGED and nothing is pushed to it. Errors come back in the outcome, not thrown.
 */
export async function pushRemote({
  engine,
  remote,
  token,
  gitAvailable,
  onProgress,
  pushTrash = false,
}: PushRemoteOptions): Promise<PushOutcome> {
  const outcome: PushOutcome = {
    remote: remote.name,
    url: redactUrl(remote.url),
    ok: false,
    transport: "",
    updated: [],
  };
  try {
    outcome.transport = pickTransport(remote, gitAvailable);
    const transport: PushTransport =
      outcome.transport === "git"
        ? gitTransport({
            git: createGitCli({ gitdir: engine.gitdir }),
            url: remote.url,
            env: gitAuthEnv(remote.username, token),
            pushTrash,
          })
        : isoTransport({ gitdir: engine.gitdir, url: remote.url, username: remote.username, token });
    const [localMain, localTags, remoteRefs] = await Promise.all([
      engine.branchTip("main"),
      engine.listTags("rp/"),
      transport.listRefs(),
    ]);
    if (localMain === null) {
      outcome.ok = true;
      return outcome;
    }
    if (
      remoteRefs.main !== null &&
      remoteRefs.main !== localMain &&
      !(await transport.isAncestor(remoteRefs.main, localMain))
    ) {
      throw new ConfvaultError(
        "REMOTE_DIVERGED",
        `remote ${remote.name} has a main (${remoteRefs.main.slice(0, 12)}) that is not in this home's history (main ${localMain.slice(0, 12)}); nothing was pushed`,
        "another node or a person pushed there; compare the histories by hand (git fetch into a scratch repo). confvault never force-pushes",
        { remote: remote.name, remoteMain: remoteRefs.main, localMain },
      );
    }
    const clashes = localTags
      .filter((t) => remoteRefs.tags.has(t.name) && remoteRefs.tags.get(t.name) !== t.oid)
      .map((t) => t.name);
    if (clashes.length > 0) {
      throw new ConfvaultError(
        "REMOTE_DIVERGED",
        `remote ${remote.name} has ${clashes.length} restore point(s) with the same name but other content (${clashes.slice(0, 3).join(", ")}); nothing was pushed`,
        "restore points are never moved; check which node made them before touching the remote",
        { remote: remote.name, clashes },
      );
    }
    const tags = localTags.filter((t) => !remoteRefs.tags.has(t.name)).map((t) => t.name);
    const main = remoteRefs.main === localMain ? null : localMain;
    await transport.push(
      { main, tags },
      onProgress ? (p) => onProgress({ remote: remote.name, ...p }) : undefined,
    );
    outcome.updated = [...(main ? ["main"] : []), ...tags];
    outcome.ok = true;
  } catch (err) {
    const e = isConfvaultError(err)
      ? err
      : new ConfvaultError("REMOTE_FAILED", (err as Error)?.message ?? String(err), "see the log");
    outcome.error = { code: e.code, message: e.message, hint: e.hint };
  }
  return outcome;
}
