import { ConfvaultError } from "../errors/confvault-error.ts";
import { createMutex, readJson, writeJson } from "./json-state.ts";

/**
 * Webhook delivery ids this slave has seen, persisted with an expiry so a replay is refused
 * even after a restart. An id is kept for twice the signature window: older webhooks are
 * refused by their timestamp anyway.
 */
export function createDeliveryLog(file: string, keepSeconds: number, now: () => Date = () => new Date()) {
  const exclusive = createMutex();
  let seen: Record<string, number> | undefined;
  return {
    /** Records the id; REPLAYED (409) when it was seen before. */
    remember(delivery: string): Promise<void> {
      return exclusive(async () => {
        seen ??= await readJson<Record<string, number>>(file, {});
        const t = now().getTime();
        for (const [id, expires] of Object.entries(seen)) if (expires <= t) delete seen[id];
        if (Object.hasOwn(seen, delivery)) {
          throw new ConfvaultError(
            "REPLAYED",
            `webhook delivery ${delivery} was already received`,
            "each delivery is accepted once; the master sends a new delivery id for every push",
            { delivery },
          );
        }
        seen[delivery] = t + keepSeconds * 1000;
        await writeJson(file, seen);
      });
    },
  };
}
