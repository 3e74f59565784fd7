import { tagOf } from "../core/current-cert-key.ts";
import { checkPushedPoint } from "./check-pushed-point.ts";
import { pointFactsAt, policyReport } from "./policy-report.ts";
import { fenced, renderTemplate } from "./render-template.ts";
import { type GithubEventOutcome, postStatus, type ReviewDeps } from "./review-deps.ts";

/** The hidden marker that finds confvault's own comment on a pull request. */
export const COMMENT_MARKER = "<!-- confvault -->";

export interface PullRequestEvent {
  number: number;
  head: { ref: string; sha: string };
}

/**
 * Checks a pull request's head as a restore point (the same checks a merge must pass), then
 * posts a commit status and one comment with the policy diff, updated on later pushes.
 */
export async function checkPullRequest(
  deps: ReviewDeps,
  pr: PullRequestEvent,
): Promise<Omit<GithubEventOutcome, "delivery" | "event" | "action" | "at">> {
  const { ctx, github, client } = deps;
  const sha = pr.head.sha;
  await postStatus(deps, sha, "pending", "confvault is checking this change");
  const repo = await deps.repo();
  await repo.fetchBranch(pr.head.ref);
  if (!(await repo.hasCommit(sha))) {
    await postStatus(
      deps,
      sha,
      "error",
      `commit not found on ${pr.head.ref}; a later push is checked instead`,
    );
    return {
      outcome: "failed",
      detail: `head ${sha} not found on ${pr.head.ref}`,
      commit: sha,
      pullRequest: pr.number,
    };
  }
  const check = await checkPushedPoint(ctx, repo.engine(), sha);
  const parent = await ctx.engine.branchTip("main");
  const baseTag = parent ? ((await tagOf(ctx, parent)) ?? parent.slice(0, 12)) : undefined;
  const values: Record<string, string> = {
    sha: sha.slice(0, 12),
    branch: pr.head.ref,
    time: ctx.now().toISOString(),
    baseTag: baseTag ? `\`${baseTag}\`` : "(none yet)",
    result: check.empty ? "✅ nothing to apply" : check.ok ? "✅ valid" : "❌ not valid",
    checks: [
      ...check.checks.map((c) => `- ✅ ${c}`),
      ...(check.problem ? [`- ❌ ${check.problem.code}: ${check.problem.message}`] : []),
    ].join("\n"),
    changeCount: "0",
    policy: "(not compared)",
    certificate: "(not compared)",
    secrets: "(not compared)",
    unified: "",
    unifiedStats: "not compared",
  };
  let description: string;
  if (check.point) {
    const before = parent ? await pointFactsAt(ctx, parent, baseTag ?? parent) : null;
    const report = policyReport(ctx, before, {
      committedConfig: check.point.committedConfig,
      manifest: check.point.manifest,
      label: pr.head.ref,
    });
    Object.assign(values, {
      changeCount: String(report.changeCount),
      policy: fenced(report.policy),
      certificate: report.certificate,
      secrets: report.secrets.length > 0 ? report.secrets.join("; ") : "no secret changed",
      unified: fenced(report.unified, "diff"),
      unifiedStats: report.unifiedStats,
    });
    description = `valid: ${report.changeCount} policy change(s); manifest, seal and leak guard ok`;
  } else if (check.empty) {
    description = "no restore point files in this change: nothing to apply";
  } else {
    description = `not valid: ${check.problem?.message ?? "unknown problem"}`;
  }
  const body = await renderTemplate("pr-comment.md", values);
  const comments = await client.paginate(client.rest.issues.listComments, {
    owner: github.owner,
    repo: github.repo,
    issue_number: pr.number,
    per_page: 100,
  });
  const mine = comments.find((c) => c.body?.includes(COMMENT_MARKER));
  if (mine) {
    await client.rest.issues.updateComment({
      owner: github.owner,
      repo: github.repo,
      comment_id: mine.id,
      body,
    });
  } else {
    await client.rest.issues.createComment({
      owner: github.owner,
      repo: github.repo,
      issue_number: pr.number,
      body,
    });
  }
  await postStatus(deps, sha, check.ok ? "success" : "failure", description);
  return {
    outcome: check.ok ? "checked" : "refused",
    detail: description,
    commit: sha,
    pullRequest: pr.number,
  };
}
