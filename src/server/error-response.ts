import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfvaultError, type ErrorCode } from "../errors/confvault-error.ts";
import { httpStatusFor } from "../errors/status-map.ts";
import type { AppEnv, AppLogger } from "./types.ts";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; hint: string; data?: Record<string, unknown> };
}

/** The JSON answer for a typed error; `status` defaults to the single code→status map. */
export function errorResponse(
  err: ConfvaultError,
  status = httpStatusFor(err.code),
  extraHeaders: Record<string, string> = {},
): Response {
  const body: ErrorBody = { error: { code: err.code, message: err.message, hint: err.hint } };
  // Structured data (line:column of an XML error, the ref that was missing) helps clients fix
  // their request; on server faults it could expose internals, so it stays in the log.
  if (status < 500 && Object.keys(err.data).length > 0) body.error.data = err.data;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="confvault"';
  Object.assign(headers, extraHeaders);
  return new Response(JSON.stringify(body), { status, headers });
}

/** The app's one `onError`: typed errors by their code, anything else a 500 without details. */
export function createErrorHandler(logger: AppLogger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    if (err instanceof ConfvaultError) {
      const status = httpStatusFor(err.code);
      if (status >= 500)
        logger.error({ requestId: c.get("requestId"), err: describe(err) }, "request failed");
      return errorResponse(err, status);
    }
    if (err instanceof HTTPException) {
      // Middleware that already built its answer (bearer auth builds ours, see auth.ts).
      if (err.res) return err.getResponse();
      return errorResponse(fromHttpStatus(err.status, err.message), err.status);
    }
    logger.error({ requestId: c.get("requestId"), err: describe(err) }, "unexpected error");
    return errorResponse(
      new ConfvaultError(
        "INTERNAL",
        "Internal server error",
        `This is a bug or an environment problem; the server log has details (request id ${c.get("requestId")}).`,
      ),
      500,
    );
  };
}

export function notFoundResponse(c: Context<AppEnv>): Response {
  return errorResponse(
    new ConfvaultError(
      "NOT_FOUND",
      `No route for ${c.req.method} ${c.req.path}`,
      "See the HTTP API in the README: /healthz, /readyz, /metrics and /api/v1/….",
    ),
  );
}

function fromHttpStatus(status: number, message: string): ConfvaultError {
  const code: ErrorCode =
    status === 401
      ? "UNAUTHORIZED"
      : status === 403
        ? "FORBIDDEN"
        : status === 404
          ? "NOT_FOUND"
          : status === 413
            ? "BODY_TOO_LARGE"
            : status < 500
              ? "BAD_INPUT"
              : "INTERNAL";
  return new ConfvaultError(code, message || `HTTP ${status}`, "");
}

function describe(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof ConfvaultError) {
    out.code = err.code;
    out.data = err.data;
  }
  if (err.cause instanceof Error) out.cause = { name: err.cause.name, message: err.cause.message };
  return out;
}
