import type { Profile } from "./profile.ts";

export const safesquid: Profile = {
  name: "safesquid",
  description: "SafeSquid Secure Web Gateway",
  rootElement: "safesquid",
  live: {
    config: "/usr/local/safesquid/security/policies/config.xml",
    cert: "/usr/local/safesquid/security/ssl/ROOT_X509File.cer",
    key: "/usr/local/safesquid/security/ssl/ROOT_PrivateKeyFile.pem",
  },
  // network/startup settings are per node: listening addresses, hostname.
  localSections: ["general/hostname", "network", "wccp"],
  secretPaths: ["//ldappassword", "//anonpass", "//password", "//secret", "//sharedsecret"],
  volatilePaths: [],
  idAttributes: ["id"],
};
