import fs, { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { createRepoEngine } from "../repo/create-engine.ts";
import type { RepoEngine } from "../repo/engine.ts";
import { createGitCli, type GitCli } from "../repo/git-cli.ts";
import { parseLsRemote } from "./git-transport.ts";
import { redactUrl } from "./remote-url.ts";

export interface FetchTarget {
  /** Local ref to read the restore point from ("refs/tags/rp/…" or "refs/heads/main"). */
  ref: string;
  /** The remote's main (null if it has none). */
  main: string | null;
}

function failed(what: string, url: string, stderr: string, exitCode: number): ConfvaultError {
  return new ConfvaultError(
    "REMOTE_FAILED",
    `${what} ${redactUrl(url)} failed: ${stderr.trim().split("\n").slice(-3).join(" ") || `git exited with ${exitCode}`}`,
    "check the URL, that the repository exists, and the token (--token-env VAR)",
    { url: redactUrl(url), exitCode, stderr: stderr.trim() },
  );
}

/** What initBareRepo writes, for a repository git clone made. */
const CLONE_CONFIG: Array<[string, string]> = [
  ["core.logallrefupdates", "false"],
  ["core.fsync", "committed"],
  ["gc.auto", "0"],
  ["gc.autoDetach", "false"],
  ["receive.fsckObjects", "true"],
];

/** A restore point name as given by the user → the remote ref it lives under. */
export function remoteRefFor(ref: string | undefined): string {
  if (ref === undefined || ref === "main") return "refs/heads/main";
  if (ref.startsWith("refs/")) return ref;
  return `refs/tags/${ref}`;
}

/**
 * The quick first stage of a recovery: only the commits that matter now (the remote's main and
 * the chosen restore point) at depth 1, so the live files can be written after one small
 * download. The full history follows in `fetchHistory`.
 */
export async function fetchRestorePoint(
  git: GitCli,
  url: string,
  env: Record<string, string>,
  ref: string | undefined,
): Promise<FetchTarget> {
  const wanted = remoteRefFor(ref);
  const listed = await git.run(
    ["ls-remote", "--refs", url, "refs/heads/main", ...(wanted === "refs/heads/main" ? [] : [wanted])],
    { env, allowFailure: true },
  );
  if (listed.exitCode !== 0) throw failed("reading", url, listed.stderr, listed.exitCode);
  const refs = parseLsRemote(listed.stdout);
  const found = listed.stdout.split("\n").some((line) => line.split("\t")[1] === wanted);
  if (!found) {
    throw new ConfvaultError(
      "REF_NOT_FOUND",
      wanted === "refs/heads/main"
        ? `${redactUrl(url)} has no main branch: it holds no confvault history`
        : `${redactUrl(url)} has no restore point ${ref}`,
      "list the remote's restore points with `git ls-remote URL 'refs/tags/rp/*'`",
      { url: redactUrl(url), ref: ref ?? "main" },
    );
  }
  const specs = [
    ...(refs.main ? ["+refs/heads/main:refs/heads/main"] : []),
    ...(wanted === "refs/heads/main" ? [] : [`+${wanted}:${wanted}`]),
  ];
  const fetched = await git.run(
    ["fetch", "--quiet", "--depth", "1", "--no-tags", "--update-head-ok", url, ...specs],
    { env, allowFailure: true },
  );
  if (fetched.exitCode !== 0) throw failed("fetching from", url, fetched.stderr, fetched.exitCode);
  return { ref: wanted, main: refs.main };
}

/**
 * The second stage: the whole history and every restore point, so the home is complete.
 * A fresh `git clone --bare` into a sibling folder, swapped in, rather than `fetch --unshallow`:
 * fetch writes one loose ref file per restore point (2,000 of them took 10 s here), clone
 * writes them all into packed-refs (the whole clone: under 1 s). Nobody uses the new home yet,
 * so the swap is safe; the repository then gets confvault's own settings.
 */
export async function fetchHistory(
  engine: RepoEngine,
  url: string,
  env: Record<string, string>,
): Promise<void> {
  const gitdir = engine.gitdir;
  const fresh = `${gitdir}.full`;
  const old = `${gitdir}.shallow`;
  await fsp.rm(fresh, { recursive: true, force: true });
  try {
    const git = createGitCli({ gitdir: fresh });
    const r = await git.run(["clone", "--bare", "--quiet", url, fresh], { env, allowFailure: true });
    if (r.exitCode !== 0) throw failed("fetching the history from", url, r.stderr, r.exitCode);
    for (const [k, v] of CLONE_CONFIG) await git.run(["config", k, v]);
    await createRepoEngine({ gitdir: fresh, fs, git }).init();
    await fsp.rename(gitdir, old);
    await fsp.rename(fresh, gitdir);
    await fsp.rm(old, { recursive: true, force: true });
  } catch (err) {
    const missing = await fsp.stat(gitdir).then(
      () => false,
      () => true,
    );
    if (missing) await fsp.rename(old, gitdir).catch(() => {});
    await fsp.rm(fresh, { recursive: true, force: true });
    throw err;
  }
}
