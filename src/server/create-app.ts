import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { registerApiRoutes } from "./api-routes.ts";
import { authenticate } from "./auth.ts";
import { createErrorHandler, notFoundResponse, scrubPaths } from "./error-response.ts";
import { registerGithubRoutes } from "./github-routes.ts";
import { observeRequests } from "./observe.ts";
import type { AppDeps, AppEnv } from "./types.ts";

export type { AppDeps, AppLogger } from "./types.ts";

/** Extra routes (cluster sync): `beforeAuth` ones authenticate themselves (join token, node token, signature). */
export interface ExtraRoutes {
  beforeAuth?: (app: Hono<AppEnv>) => void;
  afterAuth?: (app: Hono<AppEnv>) => void;
}

const DEFAULT_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The HTTP service as a value built from its dependencies; speaks only Web standards, so
 * `app.fetch` runs on Node (serve-node.ts), Deno or in tests through `app.request(...)`.
 *
 * Unauthenticated: /healthz, /readyz and /metrics (counts and timings only, no config data;
 * keep the port off untrusted networks or put the scrape behind the proxy). Everything under
 * /api/v1 needs `Authorization: Bearer <token>`; apply and restore need an operator token.
 */
export function createApp(deps: AppDeps, extra: ExtraRoutes | ExtraRoutes[] = {}): Hono<AppEnv> {
  const extras = Array.isArray(extra) ? extra : [extra];
  const app = new Hono<AppEnv>();
  const maxBody = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;

  app.use(requestId());
  app.use(observeRequests(deps.logger, deps.metrics));
  app.use(secureHeaders());
  app.use(async (c, next) => {
    await next();
    c.res.headers.set("Cache-Control", "no-store");
    c.res.headers.set("X-Request-Id", c.get("requestId"));
  });
  app.onError(createErrorHandler(deps.logger, { home: deps.ops.home }));
  app.notFound(notFoundResponse);

  app.get("/healthz", (c) => c.json({ status: "ok", version: deps.version }));

  app.get("/readyz", async (c) => {
    try {
      const ready = await deps.ops.ready();
      if (ready.ok) return c.json({ status: "ready" });
      // Unauthenticated: the detail goes out without the home's or any other absolute path.
      return c.json({ status: "not ready", detail: scrubPaths(ready.detail ?? "", deps.ops.home) }, 503);
    } catch (err) {
      deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "readiness check failed");
      return c.json({ status: "not ready", detail: "readiness check failed" }, 503);
    }
  });

  app.get("/metrics", async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.body(text, 200, { "content-type": deps.metrics.registry.contentType });
  });

  // Registered first, so they answer before the bearer-token middleware below runs.
  // The GitHub webhook authenticates by its signature.
  if (deps.github) registerGithubRoutes(app, deps.github);
  for (const e of extras) e.beforeAuth?.(app);
  app.use("/api/v1/*", authenticate(deps.tokens));
  registerApiRoutes(app, deps, maxBody);
  for (const e of extras) e.afterAuth?.(app);
  return app;
}
