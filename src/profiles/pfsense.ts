import { BSD_FIREWALL_LOCAL_SECTIONS, BSD_FIREWALL_SECRETS, BSD_FIREWALL_VOLATILE } from "./bsd-firewall.ts";
import type { Profile } from "./profile.ts";

export const pfsense: Profile = {
  name: "pfsense",
  description: "pfSense firewall",
  rootElement: "pfsense",
  live: { config: "/cf/conf/config.xml" },
  localSections: BSD_FIREWALL_LOCAL_SECTIONS,
  secretPaths: [...BSD_FIREWALL_SECRETS, "//installedpackages/wireguard/tunnels/item/privatekey"],
  volatilePaths: BSD_FIREWALL_VOLATILE,
  idAttributes: ["id", "tracker"],
};
