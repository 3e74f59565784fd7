import { applyConfig } from "../api/apply.ts";
import { isConfvaultError } from "../errors/confvault-error.ts";
import { logChange, rolledBackChange } from "../server/observe.ts";
import { checkPushedPoint } from "./check-pushed-point.ts";
import { clusterOutcome } from "./cluster-outcome.ts";
import { oneLine } from "./render-template.ts";
import { type GithubEventOutcome, postStatus, type ReviewDeps } from "./review-deps.ts";

export interface PushEvent {
  after: string;
  pusher?: { name?: string };
  sender?: { login?: string };
  head_commit?: { message?: string } | null;
}

type Outcome = Omit<GithubEventOutcome, "delivery" | "event" | "action" | "at">;

/**
 * A push to the review branch (a merged pull request or a direct push): fetch, verify it as a
 * restore point, apply its config on this node with the pusher as actor and the pull request as
 * reason, then post the outcome as the commit status. A commit that fails verification is not
 * applied and its status says why.
 */
export async function applyMergedPush(deps: ReviewDeps, push: PushEvent): Promise<Outcome> {
  const sha = push.after;
  await postStatus(deps, sha, "pending", "confvault is verifying and applying this change");
  // Once "pending" is posted, every way out posts a final state: a fetch, a verification or a
  // cluster wait that throws would otherwise leave the commit pending forever.
  try {
    return await verifyAndApply(deps, push);
  } catch (err) {
    const message = isConfvaultError(err) ? `${err.code}: ${err.message}` : String(err);
    deps.ctx.logger.error({ commit: sha, err: message }, "github push: not applied");
    await postStatus(deps, sha, "failure", `not applied: ${message}`).catch((e) =>
      deps.ctx.logger.error({ commit: sha, err: (e as Error).message }, "github push: status not posted"),
    );
    return { outcome: "failed", detail: message, commit: sha };
  }
}

async function verifyAndApply(deps: ReviewDeps, push: PushEvent): Promise<Outcome> {
  const { ctx, github } = deps;
  const sha = push.after;
  const started = performance.now();
  const repo = await deps.repo();
  await repo.fetchBranch(github.branch);
  if (!(await repo.hasCommit(sha))) {
    await postStatus(deps, sha, "error", `not applied: commit not found on ${github.branch}`);
    return { outcome: "failed", detail: `commit ${sha} not found on ${github.branch}`, commit: sha };
  }
  const check = await checkPushedPoint(ctx, repo.engine(), sha);
  if (check.empty) {
    await postStatus(deps, sha, "success", "no restore point files in this commit: nothing to apply");
    return { outcome: "ignored", detail: "no restore point files", commit: sha };
  }
  if (!check.ok || !check.point) {
    const why = `not applied: ${check.problem?.message ?? "verification failed"}`;
    await postStatus(deps, sha, "failure", why);
    ctx.logger.warn({ commit: sha, problem: check.problem }, "github push refused");
    return { outcome: "refused", detail: why, commit: sha };
  }
  const pr = await findPullRequest(deps, sha, push.head_commit?.message ?? "");
  const firstLine = oneLine((push.head_commit?.message ?? "").split("\n")[0] ?? "", 200);
  const reason = pr
    ? `${oneLine(pr.title, 200)} (#${pr.number})`
    : `push ${sha.slice(0, 12)} to ${github.branch}${firstLine ? `: ${firstLine}` : ""}`;
  const actor = push.pusher?.name || push.sender?.login || "github";
  const { point } = check;
  let result: Awaited<ReturnType<typeof applyConfig>>;
  try {
    result = await applyConfig({
      ctx,
      config: point.config,
      cert: point.bundle.cert,
      key: point.bundle.key,
      reason,
      actor,
      source: "merge",
      sourceCommit: sha,
      trailers: pr ? { "Confvault-Pull-Request": `${github.owner}/${github.repo}#${pr.number}` } : undefined,
    });
  } catch (err) {
    const message = isConfvaultError(err) ? `${err.code}: ${err.message}` : String(err);
    const undone = rolledBackChange(err);
    if (undone) logMerge(deps, undone, actor, started, sha, pr?.number);
    await postStatus(deps, sha, "failure", `not applied: ${message}`);
    ctx.logger.error({ commit: sha, err: message }, "github push: apply failed");
    return { outcome: "failed", detail: message, commit: sha, pullRequest: pr?.number };
  }
  if (result.rolledBackTo) {
    // Committed, then its health check failed and confvault put the previous restore point back.
    const detail = `not applied: the health check failed after ${result.tag}; rolled back to ${result.rolledBackTo}`;
    logMerge(deps, result, actor, started, sha, pr?.number);
    await postStatus(deps, sha, "failure", detail);
    return { outcome: "failed", detail, commit: sha, tag: result.tag, pullRequest: pr?.number };
  }
  if (!result.changed) {
    const detail = `already applied${result.tag ? ` as ${result.tag}` : ""}: config identical to the current restore point`;
    await postStatus(deps, sha, "success", detail);
    return { outcome: "unchanged", detail, commit: sha, tag: result.tag, pullRequest: pr?.number };
  }
  logMerge(deps, result, actor, started, sha, pr?.number);
  const cluster = await clusterOutcome(ctx, result.commit, { waitMs: github.syncWaitMs });
  const ok = cluster.applied === cluster.total;
  const detail = `${result.tag}: ${cluster.text}`;
  await postStatus(deps, sha, ok ? "success" : "failure", detail);
  ctx.logger.info({ commit: sha, tag: result.tag, cluster: cluster.text }, "github push applied");
  return { outcome: "applied", detail, commit: sha, tag: result.tag, pullRequest: pr?.number };
}

function logMerge(
  deps: ReviewDeps,
  result: { tag: string; commit: string; rolledBackTo?: string },
  actor: string,
  started: number,
  sha: string,
  pr: number | undefined,
): void {
  logChange(deps.ctx.logger, {
    source: "merge",
    tag: result.tag,
    commit: result.commit,
    actor,
    durationMs: performance.now() - started,
    extra: { github_commit: sha, pull_request: pr, rolled_back_to: result.rolledBackTo },
  });
}

/** The pull request a pushed commit came from: GitHub's commit→pulls lookup, else "Merge pull request #N". */
async function findPullRequest(
  deps: ReviewDeps,
  sha: string,
  message: string,
): Promise<{ number: number; title: string } | undefined> {
  const { github, client, ctx } = deps;
  try {
    const { data } = await client.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: github.owner,
      repo: github.repo,
      commit_sha: sha,
    });
    const merged = data.find((p) => p.merged_at && p.base.ref === github.branch) ?? data[0];
    if (merged) return { number: merged.number, title: merged.title };
  } catch (err) {
    ctx.logger.warn(
      { err: (err as Error).message },
      "github: looking up the pull request of a commit failed",
    );
  }
  const n = /^Merge pull request #(\d+)/m.exec(message)?.[1];
  if (!n) return undefined;
  try {
    const { data } = await client.rest.pulls.get({
      owner: github.owner,
      repo: github.repo,
      pull_number: Number(n),
    });
    return { number: data.number, title: data.title };
  } catch {
    return {
      number: Number(n),
      title:
        message
          .split("\n")
          .find((l, i) => i > 0 && l.trim())
          ?.trim() ?? `pull request #${n}`,
    };
  }
}
