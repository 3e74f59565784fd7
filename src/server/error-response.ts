import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfvaultError, type ErrorCode } from "../errors/confvault-error.ts";
import { defaultHintFor, httpStatusFor } from "../errors/status-map.ts";
import type { AppEnv, AppLogger } from "./types.ts";

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    hint: string;
    data?: Record<string, unknown>;
    /** On server faults: the id to find the full error in the server log. */
    requestId?: string;
  };
}

/** The JSON answer for a typed error; `status` defaults to the single code→status map. */
export function errorResponse(
  err: ConfvaultError,
  status = httpStatusFor(err.code),
  extraHeaders: Record<string, string> = {},
  requestId?: string,
): Response {
  // An error without a hint of its own gets its code's default from the one error table.
  const body: ErrorBody = {
    error: { code: err.code, message: err.message, hint: err.hint || defaultHintFor(err.code) },
  };
  if (requestId !== undefined) body.error.requestId = requestId;
  // Structured data (line:column of an XML error, the ref that was missing) helps clients fix
  // their request; on server faults it could expose internals, so it stays in the log.
  if (status < 500 && Object.keys(err.data).length > 0) body.error.data = err.data;
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (status === 401) headers["www-authenticate"] = 'Bearer realm="confvault"';
  Object.assign(headers, extraHeaders);
  return new Response(JSON.stringify(body), { status, headers });
}

export interface ErrorHandlerOptions {
  /** The confvault home: shown as `<home>` in error messages sent over HTTP. */
  home?: string;
}

/**
 * The app's one `onError`. Typed errors answer by their code; server faults (5xx, and anything
 * untyped) are logged in full and answered with their code, a generic message and the request
 * id, never the message itself (it may hold paths or a dependency's "please file an issue" text).
 * Messages, hints and data of client errors go out with absolute paths scrubbed.
 */
export function createErrorHandler(logger: AppLogger, options: ErrorHandlerOptions = {}) {
  const scrub = (text: string) => scrubPaths(text, options.home);
  return (err: Error, c: Context<AppEnv>): Response => {
    const requestId = c.get("requestId");
    if (err instanceof HTTPException) {
      // Middleware that already built its answer (bearer auth builds ours, see auth.ts).
      if (err.res) return err.getResponse();
      if (err.status < 500)
        return errorResponse(publicError(fromHttpStatus(err.status, err.message), scrub), err.status);
    }
    const typed = err instanceof ConfvaultError ? err : undefined;
    const status = err instanceof HTTPException ? err.status : typed ? httpStatusFor(typed.code) : 500;
    if (typed && status < 500 && !DEPENDENCY_BUG_TEXT.test(`${typed.message}\n${typed.hint}`)) {
      return errorResponse(publicError(typed, scrub), status);
    }
    logger.error({ requestId, status, err: describe(err) }, typed ? "request failed" : "unexpected error");
    const code: ErrorCode = typed?.code ?? "INTERNAL";
    const details = `server log has details (request id ${requestId}).`;
    // Our own hint (how to fix it) still helps on a typed fault, when it is ours and clean.
    const ownHint =
      typed && code !== "INTERNAL" && typed.hint !== "" && !DEPENDENCY_BUG_TEXT.test(typed.hint)
        ? scrub(typed.hint)
        : undefined;
    const answer = new ConfvaultError(
      code,
      code === "INTERNAL" ? "Internal server error" : `The server could not complete the request (${code})`,
      ownHint
        ? `${ownHint.replace(/[.\s]*$/, "")}. The ${details}`
        : `This is a bug or an environment problem; the ${details}`,
    );
    return errorResponse(answer, status, {}, requestId);
  };
}

/** Text that comes from a dependency's internals, not from confvault: never sent to clients. */
const DEPENDENCY_BUG_TEXT =
  /please file (?:a bug|an issue)|file a bug report|isomorphic-git|github\.com\/isomorphic-git|node_modules|\bat [\w.<>]+ \(/i;

/** Route prefixes that look like absolute paths but are this service's own URLs (kept as they are). */
const URL_PATH = /^\/(?:api|hooks|dashboard|healthz|readyz|metrics)(?:[/?#]|$)/;
const ABSOLUTE_PATH = /(?<![\w.:/~<>%-])\/(?:[^\s/'"`<>()[\]{},;]+\/?)+/g;

/**
 * A message as it may leave the server: the home's prefix becomes `<home>`, `file:` URLs and any
 * other absolute file-system path become `<path>/<base name>`; this service's URLs stay.
 */
export function scrubPaths(text: string, home?: string): string {
  let out = text;
  const prefix = home?.replace(/\/+$/, "");
  if (prefix && prefix.length > 1) out = out.split(prefix).join("<home>");
  out = out.replace(/file:\/\/[^\s'"`<>]*/g, (url) => `<path>/${lastSegment(url)}`);
  return out.replace(ABSOLUTE_PATH, (p) => {
    if (URL_PATH.test(p)) return p;
    const base = lastSegment(p);
    return base ? `<path>/${base}` : "<path>";
  });
}

function lastSegment(p: string): string {
  return (
    p
      .split("/")
      .filter((s) => s !== "")
      .at(-1) ?? ""
  );
}

function scrubValue(value: unknown, scrub: (s: string) => string): unknown {
  if (typeof value === "string") return scrub(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, scrub)]));
  }
  return value;
}

/** A client error as it is sent: same code, paths scrubbed from message, hint and data. */
function publicError(err: ConfvaultError, scrub: (s: string) => string): ConfvaultError {
  return new ConfvaultError(
    err.code,
    scrub(err.message),
    scrub(err.hint),
    scrubValue(err.data, scrub) as Record<string, unknown>,
  );
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
