import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { Role } from "../api/types.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { errorResponse } from "./error-response.ts";
import type { TokenVerifier } from "./tokens.ts";
import type { AppEnv } from "./types.ts";

const REALM = 'Bearer realm="confvault"';
/** Slaves' node tokens (src/sync/master-sync.ts); API tokens start with `cv_`. */
const NODE_TOKEN_PREFIX = "cvn_";
const TOKEN_HINT = "Send `Authorization: Bearer <token>` with a token made by `confvault init`.";

/**
 * Bearer-token authentication (hono's bearerAuth) that leaves the token's identity on the
 * context. Every failure is a 401 in the service's JSON error shape with `WWW-Authenticate`.
 */
export function authenticate(tokens: TokenVerifier): MiddlewareHandler<AppEnv> {
  const bearer = bearerAuthFor(tokens);
  return async (c, next) => {
    // A node token only fetches its own releases and reports its own status (the sync routes,
    // answered before this middleware); it never reads restore points, files or status here.
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (m?.[1]?.startsWith(NODE_TOKEN_PREFIX)) {
      throw new ConfvaultError(
        "FORBIDDEN",
        "Node tokens cannot use this route",
        "A node token only fetches its own releases and reports its own status; use a viewer or operator token.",
        { role: "node" },
      );
    }
    return await bearer(c, next);
  };
}

function bearerAuthFor(tokens: TokenVerifier): MiddlewareHandler<AppEnv> {
  const unauthorized = (message: string, challenge: string) => ({
    wwwAuthenticateHeader: challenge,
    message: () =>
      errorResponse(new ConfvaultError("UNAUTHORIZED", message, TOKEN_HINT), 401, {
        "www-authenticate": challenge,
      }),
  });
  return bearerAuth<AppEnv>({
    verifyToken: async (token, c) => {
      const identity = await tokens.verify(token);
      if (identity === null) return false;
      c.set("identity", identity);
      return true;
    },
    noAuthenticationHeader: unauthorized("Missing bearer token", REALM),
    invalidAuthenticationHeader: unauthorized(
      "Malformed Authorization header",
      `${REALM}, error="invalid_request"`,
    ),
    invalidToken: unauthorized("Invalid or revoked token", `${REALM}, error="invalid_token"`),
  });
}

/**
 * What each role may do, lowest first: a role can do everything the ones below it can. `admin`
 * ranks above operator for homes whose token file names it; `init` makes an operator token named
 * "admin". Unknown roles rank lowest.
 */
const RANK: Readonly<Record<string, number>> = { viewer: 0, operator: 1, admin: 2 };

/** True when `role` is `required` or above. */
export function hasRole(role: string, required: Role): boolean {
  return (RANK[role] ?? -1) >= (RANK[required] ?? Number.POSITIVE_INFINITY);
}

/**
 * Plaintext (config.xml with its secrets put back, certificate private keys) needs an operator
 * (or admin) token; viewers get the committed bytes, secrets as markers.
 */
export function canReadPlaintext(role: string): boolean {
  return hasRole(role, "operator");
}

/** Absolute paths (home, live files, key file) in answers: operators see them, viewers do not. */
export function canSeePaths(role: string): boolean {
  return hasRole(role, "operator");
}

/** Refuses callers whose token lacks `role` (operator is needed for changes). */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const identity = c.get("identity");
    if (identity === undefined) {
      throw new ConfvaultError("UNAUTHORIZED", "Missing bearer token", TOKEN_HINT);
    }
    if (!hasRole(identity.role, role)) {
      throw new ConfvaultError(
        "FORBIDDEN",
        `Token "${identity.name}" has role ${identity.role}; this needs ${role}`,
        "Use an operator token for apply and restore; viewer tokens can only read.",
        { required: role, role: identity.role },
      );
    }
    await next();
  };
}
