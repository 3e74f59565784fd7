import type { Operations } from "../api/types.ts";
import type { AppMetrics } from "./metrics.ts";
import type { TokenIdentity, TokenVerifier } from "./tokens.ts";

/** The part of a logger the server uses; a pino logger fits as it is. */
export interface AppLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Everything the HTTP app needs, passed in by whoever starts it (the CLI's `serve`). */
export interface AppDeps {
  ops: Operations;
  tokens: TokenVerifier;
  logger: AppLogger;
  metrics: AppMetrics;
  /** Largest request body accepted, in bytes (default 32 MiB). */
  bodyLimit?: number;
  version: string;
  /** GitHub review webhook (POST /hooks/github); absent when GitHub is not configured. */
  github?: GithubWebhookDeps;
}

/** What POST /hooks/github needs: the webhook secret and the event handling (src/review/). */
export interface GithubWebhookDeps {
  secret: string;
  /** Largest webhook body accepted (default 25 MiB, GitHub's cap). */
  bodyLimit?: number;
  events: {
    remember(delivery: string): Promise<void>;
    dispatch(event: { name: string; delivery: string; payload: unknown }): {
      status: 200 | 202;
      body: Record<string, unknown>;
    };
  };
}

/** Hono environment: what middleware leaves on the context for later handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    identity?: TokenIdentity;
  };
}
