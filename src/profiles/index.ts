import { ConfvaultError } from "../errors/confvault-error.ts";
import { generic } from "./generic.ts";
import { opnsense } from "./opnsense.ts";
import { pfsense } from "./pfsense.ts";
import type { Profile } from "./profile.ts";
import { safesquid } from "./safesquid.ts";

export type { Profile } from "./profile.ts";

export const profiles: Readonly<Record<string, Profile>> = Object.freeze({
  safesquid,
  opnsense,
  pfsense,
  generic,
});

export function getProfile(name: string): Profile {
  const found = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (!found) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `unknown profile "${name}"`,
      `use one of: ${Object.keys(profiles).join(", ")}`,
    );
  }
  return found;
}
