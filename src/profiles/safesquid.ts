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
  // From the vendor's section schema (sectionMaster.xml, fields shown as password inputs) and
  // its config.xml: LDAP bind password, access-rule user passwords, interface (auth) passwords,
  // the encrypted passwords of the SSL certificate cache and WCCP, the anonymous FTP password.
  secretPaths: [
    "//ldappassword",
    "//anonpass",
    "//password",
    "//ifpassword",
    "//enc_pwd",
    "//secret",
    "//sharedsecret",
  ],
  volatilePaths: [],
  idAttributes: ["id"],
};
