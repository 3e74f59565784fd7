import { getProfile, type Profile } from "../profiles/index.ts";
import type { Settings } from "./schema.ts";

function adjust(base: readonly string[], change: { add: string[]; remove: string[] }): string[] {
  const removed = new Set(change.remove);
  return [...new Set([...base.filter((p) => !removed.has(p)), ...change.add])];
}

/** The profile as this home uses it: vendor defaults plus the settings' additions and removals. */
export function effectiveProfile(settings: Settings): Profile {
  const base = getProfile(settings.profile);
  return {
    ...base,
    live: {
      config: settings.live.config ?? base.live.config,
      cert: settings.live.cert ?? base.live.cert,
      key: settings.live.key ?? base.live.key,
    },
    localSections: adjust(base.localSections, settings.localSections),
    secretPaths: adjust(base.secretPaths, settings.secretPaths),
    volatilePaths: adjust(base.volatilePaths, settings.volatilePaths),
  };
}
