import fs, { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { createRepoEngine } from "../repo/create-engine.ts";
import { createGitCli } from "../repo/git-cli.ts";
import { createBundleCache } from "../seal/bundle-cache.ts";
import { checkedSettings } from "../settings/checked-settings.ts";
import { effectiveProfile } from "../settings/effective-profile.ts";
import { loadActivationKey } from "./activation-key.ts";
import { type HomeContext, type Logger, type SealKeys, silentLogger } from "./context.ts";
import { readIdentityCache, writeIdentityCache } from "./identity-cache.ts";
import { homeLayout, livePath } from "./layout.ts";
import { readRecipients } from "./recipients-file.ts";
import { sealKeysFrom } from "./seal-keys.ts";

export interface OpenHomeOptions {
  dir: string;
  env?: Record<string, string | undefined>;
  keyFile?: string;
  logger?: Logger;
  now?: () => Date;
}

/** Opens an existing home: reads and validates its settings, wires the engine and the keys. */
export async function openHome(options: OpenHomeOptions): Promise<HomeContext> {
  const dir = path.resolve(options.dir);
  const layout = homeLayout(dir);
  let text: string;
  try {
    text = await fsp.readFile(layout.settings, "utf8");
  } catch {
    throw new ConfvaultError(
      "HOME_NOT_FOUND",
      `no confvault home at ${dir}`,
      "run `confvault init` first, or pass --home DIR / set CONFVAULT_HOME",
      { home: dir },
    );
  }
  const settings = await checkedSettings(layout.state, text, layout.settings);
  const profile = effectiveProfile(settings);
  const engine = createRepoEngine({
    gitdir: layout.gitdir,
    fs,
    git: createGitCli({ gitdir: layout.gitdir }),
  });
  const env = options.env ?? {};
  let keysPromise: Promise<SealKeys> | undefined;
  const keys = () => {
    keysPromise ??= (async () => {
      const key = await loadActivationKey({
        envValue: env.CONFVAULT_ACTIVATION_KEY,
        keyFile: options.keyFile ?? settings.keyFile,
        homeKeyFile: layout.activationKey,
      });
      // A key kept in the home may have its derived identity cached beside it (identity-cache.ts).
      const cached =
        key.origin === "home"
          ? await readIdentityCache(layout.identityCache, key.value, settings.cluster)
          : undefined;
      // Loaded here, not at import: commands that read (log, show of committed files) never derive.
      const derived =
        cached ??
        (await (
          await import("../seal/derive-identity.ts")
        ).deriveIdentity({
          activationKey: key.value,
          cluster: settings.cluster,
        }));
      if (!cached && key.origin === "home")
        await writeIdentityCache(layout.identityCache, key.value, settings.cluster, derived);
      return await sealKeysFrom(derived, await readRecipients(layout.recipients));
    })();
    keysPromise.catch(() => {
      keysPromise = undefined;
    });
    return keysPromise;
  };
  const liveRoot = path.resolve(dir, settings.liveRoot);
  return {
    layout,
    settings,
    profile,
    engine,
    logger: options.logger ?? silentLogger,
    keys,
    now: options.now ?? (() => new Date()),
    bundles: createBundleCache(),
    live(kind) {
      const p = profile.live[kind];
      return p ? livePath(liveRoot, p) : undefined;
    },
  };
}
