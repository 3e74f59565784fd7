import { ConfvaultError } from "../errors/confvault-error.ts";

/** Every change says why: a missing or blank reason is bad usage. */
export function requireReason(reason: string | undefined, operation: string): string {
  if (typeof reason !== "string" || reason.trim() === "") {
    throw new ConfvaultError(
      "BAD_USAGE",
      `${operation} needs a reason`,
      `pass -m "why this change" (HTTP: ?reason=…)`,
    );
  }
  if (reason.length > 4000)
    throw new ConfvaultError(
      "BAD_USAGE",
      "the reason is longer than 4000 characters",
      "keep the reason short; put details in a ticket",
    );
  return reason.trim();
}
