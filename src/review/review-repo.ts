import fs from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { createRepoEngine } from "../repo/create-engine.ts";
import type { RepoEngine } from "../repo/engine.ts";
import { createGitCli } from "../repo/git-cli.ts";
import { assertRefFormat } from "../repo/ref-name.ts";
import type { GithubConfig } from "./github-config.ts";

/**
 * The GitHub repository's working copy: a bare repository of its own under the home's state
 * folder, NOT the home's repository. What GitHub holds (branches anyone can push to) never
 * enters the applied history; only a verified config does, through the normal apply path.
 *
 * git talks to GitHub over https with the token as an http header passed through
 * GIT_CONFIG_COUNT environment variables: it never reaches argv, a config file or a URL.
 */
export interface ReviewRepo {
  readonly gitdir: string;
  /** Fetches a branch of the GitHub repository; its tip, or null when the branch does not exist. */
  fetchBranch(branch: string): Promise<string | null>;
  /** Pushes a commit of this working copy to a branch on GitHub (no force). */
  pushCommit(commit: string, branch: string): Promise<void>;
  /** Points a local branch at a commit (creating or moving it). */
  setBranch(branch: string, commit: string): Promise<void>;
  hasCommit(commit: string): Promise<boolean>;
  /** An engine over this working copy, fresh so it sees packs a fetch just wrote. */
  engine(): RepoEngine;
}

export async function openReviewRepo(ctx: HomeContext, github: GithubConfig): Promise<ReviewRepo> {
  const gitdir = path.join(ctx.layout.state, "github.git");
  const git = createGitCli({ gitdir });
  const engine = () => createRepoEngine({ gitdir, fs, git });
  await engine().init();
  const env = authEnv(github.token);
  const tracking = (branch: string) => assertRefFormat(`refs/remotes/github/${branch}`);

  return {
    gitdir,
    async fetchBranch(branch) {
      const ref = tracking(branch);
      const result = await git.run(
        [
          "fetch",
          "--quiet",
          "--no-tags",
          "--no-write-fetch-head",
          github.gitUrl,
          `+refs/heads/${branch}:${ref}`,
        ],
        { env, allowFailure: true },
      );
      if (result.exitCode !== 0) {
        if (/couldn't find remote ref/i.test(result.stderr)) return null;
        throw gitFailure("fetch", branch, github, result.stderr);
      }
      return (await git.run(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).stdout.trim();
    },
    async pushCommit(commit, branch) {
      const ref = assertRefFormat(`refs/heads/${branch}`);
      const result = await git.run(["push", "--quiet", "--porcelain", github.gitUrl, `${commit}:${ref}`], {
        env,
        allowFailure: true,
      });
      if (result.exitCode !== 0) {
        if (/\[rejected\]|non-fast-forward|fetch first/i.test(`${result.stdout}${result.stderr}`)) {
          throw new ConfvaultError(
            "CONFLICT",
            `branch ${branch} already exists on ${github.owner}/${github.repo} with other commits`,
            "choose another --slug, or delete the old branch on GitHub",
            { branch },
          );
        }
        throw gitFailure("push", branch, github, result.stderr);
      }
    },
    async setBranch(branch, commit) {
      await git.run(["update-ref", assertRefFormat(`refs/heads/${branch}`), commit]);
    },
    async hasCommit(commit) {
      const r = await git.run(["cat-file", "-e", `${commit}^{commit}`], { allowFailure: true });
      return r.exitCode === 0;
    },
    engine,
  };
}

function authEnv(token: string | undefined): Record<string, string> {
  if (!token) return {};
  // GitHub takes a token as the password of Basic auth (user name ignored, x-access-token by convention).
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

function gitFailure(what: string, branch: string, github: GithubConfig, stderr: string): ConfvaultError {
  const auth = /401|403|authentication|could not read Username/i.test(stderr);
  return new ConfvaultError(
    "REMOTE_FAILED",
    `git ${what} of ${branch} with ${github.gitUrl} failed: ${stderr.trim().split("\n").slice(-2).join(" ")}`,
    auth
      ? "check CONFVAULT_GITHUB_TOKEN: it needs contents read/write on the repository"
      : "check github.gitUrl in settings.json and that the host is reachable",
    { branch },
  );
}
