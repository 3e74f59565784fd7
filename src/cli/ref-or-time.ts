import { pointAt } from "../core/point-at.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** REF, or the commit in force at `--at TIME` (exactly one of them). */
export async function refOrTime(
  ctx: HomeContext,
  ref: string | undefined,
  at: string | undefined,
): Promise<string> {
  if ((ref === undefined) === (at === undefined)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "give a REF or --at TIME (one of them)",
      "for example `restore rp/… -m why` or `restore --at 2026-11-28T10:00Z -m why`",
    );
  }
  return ref ?? (await pointAt(ctx, at!)).commit;
}
