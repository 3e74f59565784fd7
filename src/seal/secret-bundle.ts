import { base64 } from "@scure/base";
import { ConfvaultError, type ErrorCode } from "../errors/confvault-error.ts";
import { SECRET_MARKER_EXACT } from "./secret-marker.ts";

/**
 * What `secrets.sealed.age` holds once opened: the root certificate and its private key (PEM)
 * and every secret value lifted out of config.xml, keyed by its marker, as base64 of the raw
 * bytes exactly as they stood in the file.
 */
export interface SecretBundle {
  version: 1;
  cert?: string;
  key?: string;
  secrets: Record<string, string>;
}

/**
 * Canonical JSON of a bundle: keys sorted by UTF-16 code unit (all keys are ASCII, so this is
 * byte order), no whitespace, strings as JSON.stringify writes them. For this shape it equals
 * RFC 8785 (JCS). The same bundle always gives the same bytes, so a keyed digest of it tells
 * whether anything changed.
 */
export function canonicalBundleJson(bundle: SecretBundle): string {
  const b = checkBundle(bundle, "BAD_INPUT");
  const parts: string[] = [];
  if (b.cert !== undefined) parts.push(`"cert":${JSON.stringify(b.cert)}`);
  if (b.key !== undefined) parts.push(`"key":${JSON.stringify(b.key)}`);
  const secrets = Object.keys(b.secrets)
    .sort()
    .map((marker) => `${JSON.stringify(marker)}:${JSON.stringify(b.secrets[marker])}`);
  parts.push(`"secrets":{${secrets.join(",")}}`);
  parts.push(`"version":${b.version}`);
  return `{${parts.join(",")}}`;
}

/**
 * Checks the shape of a bundle (from a caller or from an opened seal) and returns a clean copy
 * with only known fields; `code` is the error to throw when it is wrong.
 */
export function checkBundle(value: unknown, code: ErrorCode): SecretBundle {
  const fail = (what: string): never => {
    throw new ConfvaultError(
      code,
      `not a confvault secret bundle: ${what}`,
      code === "BAD_INPUT"
        ? "build the bundle as { version: 1, cert?, key?, secrets: { marker: base64 } }"
        : "the sealed bundle was not written by confvault or was altered: restore it from a remote copy",
      { field: what.split(" ")[0] },
    );
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("not an object");
  const v = value as Record<string, unknown>;
  if (v.version !== 1) {
    if (typeof v.version === "number" && v.version > 1) {
      throw new ConfvaultError(
        code,
        `the secret bundle has format version ${v.version}, this confvault reads version 1`,
        "upgrade confvault to open this bundle",
        { version: v.version },
      );
    }
    return fail("version is not 1");
  }
  const out: SecretBundle = { version: 1, secrets: {} };
  for (const field of ["cert", "key"] as const) {
    if (v[field] === undefined) continue;
    if (typeof v[field] !== "string") return fail(`${field} is not a string`);
    out[field] = v[field] as string;
  }
  const secrets = v.secrets;
  if (typeof secrets !== "object" || secrets === null || Array.isArray(secrets)) {
    return fail("secrets is not an object");
  }
  const entries: [string, string][] = [];
  for (const [marker, raw] of Object.entries(secrets)) {
    if (!SECRET_MARKER_EXACT.test(marker)) return fail("secrets has a key that is not a secret marker");
    if (typeof raw !== "string" || !isBase64(raw)) return fail("secrets has a value that is not base64");
    entries.push([marker, raw]);
  }
  out.secrets = Object.fromEntries(entries);
  return out;
}

function isBase64(s: string): boolean {
  try {
    base64.decode(s);
    return true;
  } catch {
    return false;
  }
}
