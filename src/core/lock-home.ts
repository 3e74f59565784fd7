import type { HomeContext } from "../home/context.ts";
import { type AcquireHomeLockOptions, acquireHomeLock, type HomeLock } from "../home/home-lock.ts";
import { type Repair, reconcileHome } from "./reconcile-home.ts";

export interface LockedHome extends HomeLock {
  /** What the lock-time repair did about an interrupted change (null: nothing was interrupted). */
  repair: Repair | null;
}

/**
 * Takes the home lock, then finishes or undoes a change a killed process left in flight, so every
 * command starts from a home whose live files follow the tip of main.
 */
export async function lockHome(
  ctx: HomeContext,
  operation: string,
  options: Omit<AcquireHomeLockOptions, "operation"> = {},
): Promise<LockedHome> {
  const lock = await acquireHomeLock(ctx.layout.dir, { logger: ctx.logger, ...options, operation });
  try {
    const repair = await reconcileHome(ctx);
    return { release: () => lock.release(), repair };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
