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

/**
 * Secret-bearing elements of the legacy (m0n0wall-descended) config both vendors keep. Taken from
 * the real fixtures (../shared/fixtures/real) and the vendors' own forms that write these fields.
 * `//password` is a catch-all: no element of either config named `password` holds anything else
 * (users, HA sync, PPP, dynamic DNS, L2TP/PPPoE users, SMTP notifications, package settings).
 */
export const BSD_FIREWALL_SECRETS = [
  "//password",
  // certificates and authorities: base64 PEM private keys
  "//cert/prv",
  "//ca/prv",
  // local users: password hashes, TOTP seeds, API key secrets
  "//user/bcrypt-hash",
  "//user/sha512-hash",
  "//user/md5-hash",
  "//user/otp_seed",
  "//user/apikeys/item/secret",
  "//hasync/password",
  // IPsec and OpenVPN
  "//ipsec/phase1/pre-shared-key",
  "//ipsec/mobilekey/pre-shared-key",
  "//openvpn-server/shared_key",
  "//openvpn-client/shared_key",
  "//openvpn-server/tls",
  "//openvpn-client/tls",
  "//openvpn-client/auth_pass",
  // authentication servers (LDAP bind password, RADIUS shared secrets)
  "//authserver/ldap_bindpw",
  "//authserver/radius_secret",
  "//authserver/radius_secret2",
  // SNMP communities (the read community is the SNMPv1/v2c password), trap community
  "//snmpd/rocommunity",
  "//snmpd/trapstring",
  // wireless pre-shared keys and RADIUS secrets for 802.1X
  "//wireless/wpa/passphrase",
  "//wireless/wpa/auth_server_shared_secret",
  "//wireless/wpa/auth_server_shared_secret2",
  // captive portal RADIUS shared secrets (captiveportal/<zone>/radiuskey…)
  "//radiuskey",
  "//radiuskey2",
  "//radiuskey3",
  "//radiuskey4",
  // RFC 2136 dynamic DNS update keys, dynamic DNS passwords
  "//dnsupdates/dnsupdate/keydata",
  "//dyndnses/dyndns/password",
  // notifications (SMTP, Pushover/Telegram/Slack API tokens)
  "//notifications/smtp/password",
  "//notifications/pushover/apikey",
  "//notifications/telegram/api",
  "//notifications/slack/api",
];

export const BSD_FIREWALL_VOLATILE = ["revision/time", "revision/username", "revision/description"];
