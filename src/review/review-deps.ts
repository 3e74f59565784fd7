import type { HomeContext } from "../home/context.ts";
import type { GithubClient } from "./github-client.ts";
import type { GithubConfig } from "./github-config.ts";
import type { ReviewRepo } from "./review-repo.ts";

/** What the webhook handlers share: the home, the GitHub settings, the REST client, the working copy. */
export interface ReviewDeps {
  ctx: HomeContext;
  github: GithubConfig;
  client: GithubClient;
  repo(): Promise<ReviewRepo>;
}

export type StatusState = "pending" | "success" | "failure" | "error";

/** Posts the commit status of `sha` under the configured context (description cut to GitHub's 140). */
export async function postStatus(
  deps: ReviewDeps,
  sha: string,
  state: StatusState,
  description: string,
): Promise<void> {
  const { github, client } = deps;
  const text = description.replace(/[\r\n\t]+/g, " ").trim();
  await client.rest.repos.createCommitStatus({
    owner: github.owner,
    repo: github.repo,
    sha,
    state,
    context: github.statusContext,
    description: text.length > 140 ? `${text.slice(0, 139)}…` : text,
  });
}

/** What one handled webhook came to (kept in memory and in state/github-events.json). */
export interface GithubEventOutcome {
  delivery: string;
  event: string;
  action?: string;
  at: string;
  outcome: "ignored" | "checked" | "applied" | "unchanged" | "refused" | "failed";
  detail: string;
  commit?: string;
  tag?: string;
  pullRequest?: number;
}
