import { ConfvaultError } from "../errors/confvault-error.ts";
import { type Settings, type SettingsInput, settingsSchema } from "./schema.ts";

/** Parses and validates settings text; every problem is named with its path. */
export function parseSettings(text: string, source = "settings.json"): Settings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `${source} is not valid JSON: ${(err as Error).message}`,
      `fix the JSON syntax in ${source}`,
    );
  }
  return validateSettings(raw, source);
}

export function validateSettings(raw: unknown, source = "settings"): Settings {
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `${source} is invalid: ${problems.join("; ")}`,
      `correct ${source} (see README "Settings") or re-run confvault init`,
      { problems },
    );
  }
  return result.data;
}

export function defaultSettings(input: Omit<SettingsInput, "version">): Settings {
  return validateSettings({ version: 1, ...input }, "init options");
}
