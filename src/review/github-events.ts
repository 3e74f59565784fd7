import { promises as fsp } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";
import { createDeliveryLog } from "../sync/delivery-log.ts";
import type { GithubClient } from "./github-client.ts";
import type { GithubConfig } from "./github-config.ts";
import { applyMergedPush, type PushEvent } from "./merged-push.ts";
import { checkPullRequest, type PullRequestEvent } from "./pull-request-check.ts";
import type { GithubEventOutcome, ReviewDeps } from "./review-deps.ts";
import { openReviewRepo, type ReviewRepo } from "./review-repo.ts";

/** GitHub keeps deliveries for redelivery three days; a repeated id is refused that long. */
const DELIVERY_KEEP_SECONDS = 3 * 24 * 3600;
const KEEP_OUTCOMES = 100;
const CHECKED_ACTIONS = new Set(["opened", "synchronize", "reopened"]);

export interface GithubEvent {
  name: string;
  delivery: string;
  payload: unknown;
}

export interface GithubEvents {
  /** Refuses (REPLAYED) a delivery id seen before; remembers it otherwise. */
  remember(delivery: string): Promise<void>;
  /** Answers at once; slow work (fetch, verify, apply, statuses) runs after, one event at a time. */
  dispatch(event: GithubEvent): { status: 200 | 202; body: Record<string, unknown> };
  /** Resolves when every accepted event has been handled. */
  idle(): Promise<void>;
  /** Outcomes of handled events, oldest first (also in state/github-events.json). */
  outcomes(): GithubEventOutcome[];
}

interface Payload {
  action?: string;
  zen?: string;
  ref?: string;
  deleted?: boolean;
  after?: string;
  repository?: { full_name?: string };
  pull_request?: PullRequestEvent & { base?: { ref?: string } };
}

/** The GitHub webhook's behaviour, independent of HTTP: which events do what. */
export function createGithubEvents(options: {
  ctx: HomeContext;
  github: GithubConfig;
  client: GithubClient;
}): GithubEvents {
  const { ctx, github } = options;
  const deliveries = createDeliveryLog(
    path.join(ctx.layout.state, "github-deliveries.json"),
    DELIVERY_KEEP_SECONDS,
    ctx.now,
  );
  const outcomesFile = path.join(ctx.layout.state, "github-events.json");
  const done: GithubEventOutcome[] = [];
  let repo: Promise<ReviewRepo> | undefined;
  const deps: ReviewDeps = {
    ctx,
    github,
    client: options.client,
    repo: () => {
      repo ??= openReviewRepo(ctx, github);
      repo.catch(() => {
        repo = undefined;
      });
      return repo;
    },
  };
  let chain: Promise<void> = Promise.resolve();

  const record = async (outcome: GithubEventOutcome) => {
    done.push(outcome);
    if (done.length > KEEP_OUTCOMES) done.splice(0, done.length - KEEP_OUTCOMES);
    ctx.logger.info({ ...outcome }, "github event handled");
    await fsp.mkdir(ctx.layout.state, { recursive: true });
    await writeFileAtomic(outcomesFile, new TextEncoder().encode(`${JSON.stringify(done, null, 2)}\n`));
  };

  const later = (
    event: GithubEvent,
    action: string | undefined,
    work: () => Promise<Omit<GithubEventOutcome, "delivery" | "event" | "action" | "at">>,
  ) => {
    chain = chain.then(async () => {
      const base = { delivery: event.delivery, event: event.name, action, at: ctx.now().toISOString() };
      try {
        await record({ ...base, ...(await work()) });
      } catch (err) {
        const detail = err instanceof Error ? err.message : String(err);
        ctx.logger.error({ delivery: event.delivery, err: detail }, "github event failed");
        await record({ ...base, outcome: "failed", detail }).catch(() => {});
      }
    });
  };

  const ignore = (event: GithubEvent, why: string) => {
    ctx.logger.info({ event: event.name, delivery: event.delivery, why }, "github event ignored");
    return { status: 202 as const, body: { ignored: why } };
  };

  return {
    remember: (delivery) => deliveries.remember(delivery),
    dispatch(event) {
      const p = (event.payload ?? {}) as Payload;
      if (event.name === "ping") return { status: 200, body: { ok: true, zen: p.zen ?? "" } };
      const repoName = p.repository?.full_name?.toLowerCase();
      if (repoName !== `${github.owner}/${github.repo}`.toLowerCase()) {
        return ignore(
          event,
          `repository ${p.repository?.full_name ?? "(none)"} is not ${github.owner}/${github.repo}`,
        );
      }
      if (event.name === "pull_request") {
        const pr = p.pull_request;
        if (!pr || !CHECKED_ACTIONS.has(p.action ?? ""))
          return ignore(event, `pull_request action ${p.action}`);
        if (pr.base?.ref !== github.branch)
          return ignore(event, `pull request into ${pr.base?.ref}, not ${github.branch}`);
        later(event, p.action, () => checkPullRequest(deps, pr));
        return { status: 202, body: { accepted: "checking pull request", number: pr.number } };
      }
      if (event.name === "push") {
        if (p.ref !== `refs/heads/${github.branch}`)
          return ignore(event, `push to ${p.ref}, not ${github.branch}`);
        if (p.deleted || !p.after || /^0+$/.test(p.after)) return ignore(event, "branch deleted");
        if (ctx.settings.role === "slave")
          return ignore(event, "this node is a slave: merges are applied on the master");
        later(event, undefined, () => applyMergedPush(deps, event.payload as PushEvent));
        return { status: 202, body: { accepted: "verifying and applying push", commit: p.after } };
      }
      return ignore(event, `event ${event.name}`);
    },
    async idle() {
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
    outcomes: () => [...done],
  };
}
