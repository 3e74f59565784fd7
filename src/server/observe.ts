import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppMetrics } from "./metrics.ts";
import type { AppEnv, AppLogger } from "./types.ts";

/**
 * One log line and the request metrics per answer. Logs method, path (no query string), status,
 * duration and actor; never headers, tokens or bodies.
 */
export function observeRequests(logger: AppLogger, metrics: AppMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const status = c.res.status;
      const route = routeLabel(c);
      metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
      metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
      const line = {
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status,
        durationMs: Math.round(seconds * 100_000) / 100,
        actor: c.get("identity")?.name ?? null,
      };
      if (status >= 500) logger.error(line, "request");
      else logger.info(line, "request");
    }
  };
}

/** The registered route pattern (bounded label values), not the raw path. */
function routeLabel(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route !== undefined && route.method !== "ALL") return route.path;
  }
  return "unmatched";
}
