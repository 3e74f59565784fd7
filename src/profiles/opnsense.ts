import { BSD_FIREWALL_LOCAL_SECTIONS, BSD_FIREWALL_SECRETS, BSD_FIREWALL_VOLATILE } from "./bsd-firewall.ts";
import type { Profile } from "./profile.ts";

export const opnsense: Profile = {
  name: "opnsense",
  description: "OPNsense firewall",
  rootElement: "opnsense",
  live: { config: "/conf/config.xml" },
  localSections: BSD_FIREWALL_LOCAL_SECTIONS,
  secretPaths: [
    ...BSD_FIREWALL_SECRETS,
    "//user/apikeys/item/secret",
    "//wireguard/server/servers/server/privkey",
    "//wireguard/client/clients/client/psk",
    "//OpenVPN/StaticKeys/StaticKey/key",
    "//IPsec/preSharedKeys/preSharedKey/Key",
    "//IPsec/keyPairs/keyPair/privateKey",
  ],
  volatilePaths: BSD_FIREWALL_VOLATILE,
  idAttributes: ["uuid", "id"],
};
