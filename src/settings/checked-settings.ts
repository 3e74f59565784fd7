import { promises as fsp } from "node:fs";
import path from "node:path";
import type { Settings } from "./schema.ts";

/** Set by scripts/build.mjs (esbuild `define`): a digest of the sources this build was made from. */
declare const __CONFVAULT_BUILD__: string | undefined;

/** The build's source digest; undefined when running from source (tsx, Deno), where nothing is cached. */
export function buildId(): string | undefined {
  return typeof __CONFVAULT_BUILD__ === "string" ? __CONFVAULT_BUILD__ : undefined;
}

interface Checked {
  build: string;
  text: string;
  settings: Settings;
}

/**
 * Settings as the schema validated them, without loading the schema (zod and node-cron cost
 * ~60-100 ms at start-up) when nothing changed: `<home>/state/settings.checked.json` keeps the
 * exact settings.json text, the build that validated it and the result. Any change to either
 * (an edited settings.json, another build) validates again. Best effort: a read-only home
 * validates every time.
 */
export async function checkedSettings(stateDir: string, text: string, source: string): Promise<Settings> {
  const build = buildId();
  const file = path.join(stateDir, "settings.checked.json");
  if (build) {
    try {
      const cached = JSON.parse(await fsp.readFile(file, "utf8")) as Checked;
      if (cached.build === build && cached.text === text) return cached.settings;
    } catch {
      // absent or torn: validate below
    }
  }
  const { parseSettings } = await import("./load-settings.ts");
  const settings = parseSettings(text, source);
  if (build) {
    const tmp = `${file}.${process.pid}.tmp`;
    await fsp
      .writeFile(tmp, JSON.stringify({ build, text, settings } satisfies Checked), { mode: 0o644 })
      .then(() => fsp.rename(tmp, file))
      .catch(() => fsp.rm(tmp, { force: true }).catch(() => undefined));
  }
  return settings;
}
