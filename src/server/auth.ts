import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import type { Role } from "../api/types.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { errorResponse } from "./error-response.ts";
import type { TokenVerifier } from "./tokens.ts";
import type { AppEnv } from "./types.ts";

const REALM = 'Bearer realm="confvault"';
const TOKEN_HINT = "Send `Authorization: Bearer <token>` with a token made by `confvault init`.";

/**
 * Bearer-token authentication (hono's bearerAuth) that leaves the token's identity on the
 * context. Every failure is a 401 in the service's JSON error shape with `WWW-Authenticate`.
 */
export function authenticate(tokens: TokenVerifier): MiddlewareHandler<AppEnv> {
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

/** Refuses callers whose token lacks `role` (operator is needed for changes). */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const identity = c.get("identity");
    if (identity === undefined) {
      throw new ConfvaultError("UNAUTHORIZED", "Missing bearer token", TOKEN_HINT);
    }
    if (role === "operator" && identity.role !== "operator") {
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
