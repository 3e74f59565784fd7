/**
 * What OPNsense and pfSense share (both descend from m0n0wall): node-local sections as their
 * own XMLRPC HA sync leaves them per node, secret-bearing elements, and the revision block.
 */
export const BSD_FIREWALL_LOCAL_SECTIONS = [
  "interfaces",
  "hasync",
  "system/hostname",
  "system/domain",
  "vlans",
  "laggs",
  "gifs",
  "gres",
  "virtualip",
  "revision",
];

export const BSD_FIREWALL_SECRETS = [
  "//cert/prv",
  "//ca/prv",
  "//user/password",
  "//user/bcrypt-hash",
  "//user/sha512-hash",
  "//hasync/password",
  "//ipsec/phase1/pre-shared-key",
  "//ipsec/mobilekey/pre-shared-key",
  "//openvpn-server/shared_key",
  "//openvpn-client/shared_key",
  "//openvpn-server/tls",
  "//openvpn-client/tls",
  "//authserver/ldap_bindpw",
  "//authserver/radius_secret",
];

export const BSD_FIREWALL_VOLATILE = ["revision/time", "revision/username", "revision/description"];
