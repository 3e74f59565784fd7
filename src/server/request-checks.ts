import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { errorResponse } from "./error-response.ts";
import type { AppEnv } from "./types.ts";

/**
 * hono's bodyLimit: a declared Content-Length over the limit is refused before reading; a body
 * without one (chunked) is counted while it streams and refused as soon as it passes the limit,
 * so at most `maxSize` bytes are ever buffered.
 */
export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ConfvaultError(
        "BODY_TOO_LARGE",
        `Request body is larger than ${maxSize} bytes`,
        "Send a smaller body, or raise the server's body limit in the settings.",
        { limit: maxSize },
      );
    },
  });
}

/**
 * Refuses a body whose media type is not one of `types` with 415. The error code is BAD_INPUT;
 * 415 is set here because the shared code→status map has no media-type code.
 */
export function requireContentType(...types: string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("content-type") ?? "";
    const mediaType = header.split(";", 1)[0]?.trim().toLowerCase() ?? "";
    if (!types.includes(mediaType)) {
      return errorResponse(
        new ConfvaultError(
          "BAD_INPUT",
          header === "" ? "Missing Content-Type" : `Unsupported Content-Type ${JSON.stringify(header)}`,
          `Send the body with Content-Type: ${types.join(" or ")}.`,
          { accepted: types },
        ),
        415,
      );
    }
    await next();
  };
}
