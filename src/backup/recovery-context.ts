import fs from "node:fs";
import path from "node:path";
import type { HomeContext, Logger, SealKeys } from "../home/context.ts";
import { homeLayout, livePath } from "../home/layout.ts";
import { sealKeysFrom } from "../home/seal-keys.ts";
import { createRepoEngine } from "../repo/create-engine.ts";
import { createGitCli } from "../repo/git-cli.ts";
import type { DerivedIdentity } from "../seal/derive-identity.ts";
import { effectiveProfile } from "../settings/effective-profile.ts";
import type { Settings } from "../settings/schema.ts";

/**
 * A HomeContext for a home that is still being built (no settings.json yet): settings in
 * memory, keys from an identity derived for the cluster that sealed the restore point.
 */
export function recoveryContext(options: {
  dir: string;
  settings: Settings;
  identity: () => Promise<DerivedIdentity>;
  logger: Logger;
  now: () => Date;
}): HomeContext {
  const layout = homeLayout(options.dir);
  const profile = effectiveProfile(options.settings);
  const engine = createRepoEngine({
    gitdir: layout.gitdir,
    fs,
    git: createGitCli({ gitdir: layout.gitdir }),
  });
  const liveRoot = path.resolve(options.dir, options.settings.liveRoot);
  let keys: Promise<SealKeys> | undefined;
  return {
    layout,
    settings: options.settings,
    profile,
    engine,
    logger: options.logger,
    keys() {
      keys ??= options.identity().then((d) => sealKeysFrom(d, []));
      return keys;
    },
    now: options.now,
    live(kind) {
      const p = profile.live[kind];
      return p ? livePath(liveRoot, p) : undefined;
    },
  };
}
