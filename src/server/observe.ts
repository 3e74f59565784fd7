import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppMetrics } from "./metrics.ts";
import type { AppEnv, AppLogger } from "./types.ts";

/**
 * One log line and the request metrics per answer. Logs method, path (no query string), status,
 * duration and actor; never headers, tokens or bodies. A client error (4xx) is a warning with the
 * error code it answered (`{"error":{"code"}}`), a server error (5xx) an error.
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
      else if (status >= 400) logger.warn({ ...line, code: await errorCode(c.res) }, "request");
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

/** The code of a JSON error answer (`{"error":{"code":"…"}}`), read from a copy of the body. */
async function errorCode(res: Response): Promise<string | null> {
  if (!(res.headers.get("content-type") ?? "").includes("json")) return null;
  try {
    const body = (await res.clone().json()) as { error?: { code?: unknown } };
    return typeof body?.error?.code === "string" ? body.error.code : null;
  } catch {
    return null;
  }
}

/** What a change (apply, restore, rollback, merge, sync) made, for its one log line. */
export interface ChangeLogEntry {
  /** apply, restore, rollback, merge, sync (the commit's Confvault-Source, rollback named as such). */
  source: string;
  tag: string | null;
  commit: string;
  /** As the commit records it: the token name, the pusher of a merge, `master:<node>` for a sync. */
  actor: string;
  durationMs: number;
  /** Other public facts (restored_from, rolled_back_to, request_id, …); never a secret or token. */
  extra?: Record<string, string | number | boolean | null | undefined>;
}

/**
 * One JSON line per change, wherever it came from: `{"event":"change", source, tag, commit,
 * actor, duration_ms, …}` at info. Callers log it once, after the change is committed.
 */
export function logChange(logger: Pick<AppLogger, "info">, entry: ChangeLogEntry): void {
  const extra: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(entry.extra ?? {})) if (v !== undefined) extra[k] = v;
  logger.info(
    {
      event: "change",
      source: entry.source,
      tag: entry.tag,
      commit: entry.commit,
      actor: entry.actor,
      duration_ms: Math.round(entry.durationMs * 100) / 100,
      ...extra,
    },
    `change: ${entry.source}`,
  );
}

/**
 * A change that was committed and then undone by a failed health check (HEALTH_FAILED carries
 * the commit, its tag and the restore point put back), or null for an error that changed nothing.
 */
export function rolledBackChange(err: unknown): { commit: string; tag: string; rolledBackTo: string } | null {
  const data = (err as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data.rolledBackTo !== "string" || typeof data.commit !== "string") return null;
  return {
    commit: data.commit,
    tag: typeof data.tag === "string" ? data.tag : "",
    rolledBackTo: data.rolledBackTo,
  };
}

/**
 * Logs the change a failed health check undid (see rolledBackChange), if `err` is one, with the
 * restore point put back and the error code; nothing for an error that changed nothing.
 */
export function logRolledBackChange(
  logger: Pick<AppLogger, "info">,
  err: unknown,
  entry: Omit<ChangeLogEntry, "tag" | "commit">,
): void {
  const undone = rolledBackChange(err);
  if (!undone) return;
  logChange(logger, {
    ...entry,
    tag: undone.tag,
    commit: undone.commit,
    extra: { rolled_back_to: undone.rolledBackTo, code: (err as { code?: string }).code, ...entry.extra },
  });
}
