import type { Profile } from "./profile.ts";

export const generic: Profile = {
  name: "generic",
  description: "Any appliance whose policy is one XML file (configure paths in settings)",
  live: { config: "/etc/appliance/config.xml" },
  localSections: [],
  // Common secret-bearing element names; settings.secretPaths adds or removes.
  secretPaths: [
    "//prv",
    "//privatekey",
    "//private-key",
    "//password",
    "//passwd",
    "//secret",
    "//psk",
    "//pre-shared-key",
    "//bindpw",
    "//ldap_bindpw",
    "//radius_secret",
    "//rocommunity",
    "//rwcommunity",
    "//community",
    "//apikey",
    "//api_key",
    "//token",
  ],
  volatilePaths: [],
  idAttributes: ["id", "uuid", "name"],
};
