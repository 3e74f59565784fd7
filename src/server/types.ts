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
}

/** Hono environment: what middleware leaves on the context for later handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    identity?: TokenIdentity;
  };
}
