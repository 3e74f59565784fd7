import type { ErrorCode } from "./confvault-error.ts";
import { errorClass } from "./error-table.ts";

/*
 * Both maps read the one error table (error-table.ts): add a code there, with its exit status,
 * HTTP status and default hint, and the CLI, the server and the README's table follow.
 */

/** CLI exit codes: 2 for bad usage or bad input, 1 for everything that failed otherwise. */
export function exitCodeFor(code: ErrorCode): 1 | 2 {
  return errorClass(code).exit;
}

/** HTTP status per error code: the single map the server uses. */
export function httpStatusFor(code: ErrorCode): number {
  return errorClass(code).http;
}

/** The hint to show when an error carries none of its own. */
export function defaultHintFor(code: ErrorCode): string {
  return errorClass(code).hint;
}
