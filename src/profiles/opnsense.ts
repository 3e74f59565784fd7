import { BSD_FIREWALL_LOCAL_SECTIONS, BSD_FIREWALL_SECRETS, BSD_FIREWALL_VOLATILE } from "./bsd-firewall.ts";
import type { Profile } from "./profile.ts";

export const opnsense: Profile = {
  name: "opnsense",
  description: "OPNsense firewall",
  rootElement: "opnsense",
  live: { config: "/conf/config.xml" },
  localSections: BSD_FIREWALL_LOCAL_SECTIONS,
  // The legacy sections' secrets (bsd-firewall.ts, with the `//password` catch-all), then the
  // MVC models' (mounted under <OPNsense>) whose secret fields have other names.
  secretPaths: [
    ...BSD_FIREWALL_SECRETS,
    // monit: the embedded web server's password (its mail server login is a <password>)
    "//OPNsense/monit/general/httpdPassword",
    // web proxy: the parent proxy's password and the proxy's SNMP agent community/password
    "//OPNsense/proxy/general/parentproxy/password",
    "//OPNsense/proxy/forward/snmp_password",
    // WireGuard private keys and pre-shared keys
    "//wireguard/server/servers/server/privkey",
    "//wireguard/client/clients/client/psk",
    // OpenVPN (MVC instances) static keys
    "//OpenVPN/StaticKeys/StaticKey/key",
    // IPsec (swanctl) pre-shared keys and key pairs
    "//IPsec/preSharedKeys/preSharedKey/Key",
    "//IPsec/keyPairs/keyPair/privateKey",
  ],
  volatilePaths: BSD_FIREWALL_VOLATILE,
  idAttributes: ["uuid", "id"],
};
