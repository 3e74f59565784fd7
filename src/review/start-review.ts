import type { HomeContext } from "../home/context.ts";
import type { GithubWebhookDeps } from "../server/types.ts";
import { createGithubClient } from "./github-client.ts";
import { githubConfigured, resolveGithubConfig } from "./github-config.ts";
import { createGithubEvents, type GithubEvents } from "./github-events.ts";

/**
 * The GitHub webhook for `serve`, or undefined when the home has no "github" settings. Refuses
 * to start (SETTINGS_INVALID, naming what is missing) when the settings are there but the token
 * or the webhook secret is not.
 */
export async function startReview(
  ctx: HomeContext,
  env: Record<string, string | undefined>,
  options: { retries?: number } = {},
): Promise<{ webhook: GithubWebhookDeps; events: GithubEvents } | undefined> {
  if (!githubConfigured(ctx)) return undefined;
  const github = await resolveGithubConfig(ctx, env, { token: true, webhookSecret: true });
  const client = createGithubClient({
    token: github.token!,
    apiUrl: github.apiUrl,
    logger: ctx.logger,
    retries: options.retries,
  });
  const events = createGithubEvents({ ctx, github, client });
  return { webhook: { secret: github.webhookSecret!, events }, events };
}
