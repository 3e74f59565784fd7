import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** Refuses a master-only operation on a slave or standalone node (NOT_MASTER with a hint). */
export function requireMaster(ctx: HomeContext, hint: string): void {
  if (ctx.settings.role !== "master") {
    throw new ConfvaultError(
      "NOT_MASTER",
      `node ${ctx.settings.node} is ${ctx.settings.role}, not a master`,
      hint,
    );
  }
}
