import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Logger } from "../home/context.ts";

const ReviewOctokit = Octokit.plugin(throttling, retry);
export type GithubClient = InstanceType<typeof ReviewOctokit>;

/**
 * The REST client: @octokit/rest with the throttling plugin (waits out primary and secondary
 * rate limits a couple of times) and the retry plugin (retries 5xx and network errors).
 * `apiUrl` is https://api.github.com, a GitHub Enterprise `/api/v3` URL, or a test server.
 */
export function createGithubClient(options: {
  token: string;
  apiUrl: string;
  logger: Logger;
  /** Retries of a failed request (default 3; tests use fewer). */
  retries?: number;
}): GithubClient {
  const { logger } = options;
  return new ReviewOctokit({
    auth: options.token,
    baseUrl: options.apiUrl,
    userAgent: "confvault",
    log: {
      debug: () => {},
      info: () => {},
      warn: (msg: string) => logger.warn({ github: msg }, "github api"),
      error: (msg: string) => logger.error({ github: msg }, "github api"),
    },
    request: { retries: options.retries ?? 3 },
    throttle: {
      onRateLimit: (
        retryAfter: number,
        opts: { method: string; url: string },
        _o: unknown,
        retryCount: number,
      ) => {
        logger.warn({ retryAfter, request: `${opts.method} ${opts.url}` }, "github rate limit reached");
        return retryCount < 2;
      },
      onSecondaryRateLimit: (
        retryAfter: number,
        opts: { method: string; url: string },
        _o: unknown,
        retryCount: number,
      ) => {
        logger.warn({ retryAfter, request: `${opts.method} ${opts.url}` }, "github secondary rate limit");
        return retryCount < 1;
      },
    },
  });
}
