import type { Profile } from "./profile.ts";

export const generic: Profile = {
  name: "generic",
  description: "Any appliance whose policy is one XML file (configure paths in settings)",
  live: { config: "/etc/appliance/config.xml" },
  localSections: [],
  secretPaths: [],
  volatilePaths: [],
  idAttributes: ["id", "uuid", "name"],
};
