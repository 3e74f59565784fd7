import { base64 } from "@scure/base";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { scanXml } from "../xml/scan-xml.ts";
import type { ElementSpan } from "../xml/types.ts";
import { binaryString } from "./binary-string.ts";
import { markerEncodingOf, markerText } from "./marker-encoding.ts";
import { SECRET_MARKER_EXACT } from "./secret-marker.ts";

export type LeakKind =
  | "pem-private-key"
  | "base64-pem-private-key"
  | "pkcs12"
  | "base64-pkcs12"
  | "secret-value"
  | "unsealed-secret-element";

/** Where a leak was found. Never holds the value itself. */
export interface LeakFinding {
  file: string;
  kind: LeakKind;
  /** 1-based line of the first byte of the hit. */
  line: number;
  /** Element path (from `secretSpans`) or the name of the nearest enclosing start tag. */
  element?: string;
  /** True when the hit lies in an attribute value (secretPaths seals element text, not attributes). */
  inAttribute?: boolean;
}

export interface LeakGuardOptions {
  /** Raw secret values that must not appear verbatim in any file (e.g. the lifted values). */
  secretValues?: readonly Uint8Array[];
  /** Values shorter than this are not searched (default 8 bytes): too many chance matches. */
  minSecretLength?: number;
  /**
   * Per file, the profile's secret elements as found by the XML scan: each non-empty leaf
   * must hold exactly a secret marker, else its value was not sealed.
   */
  secretSpans?: Readonly<Record<string, readonly ElementSpan[]>>;
  /**
   * Element paths ("a/b" below the root, "//a/b" at any depth; settings `leakGuard.allow`)
   * whose key material is accepted in XML files: the rare true exception, such as a sample
   * key in a test fixture. Lifted secret values and unsealed secret elements are never allowed.
   */
  allow?: readonly string[];
}

// A run of at least five "-" always holds one "---" that starts on a base64 group boundary,
// whatever its offset: base64 "LS0t". Every hit is decoded and checked, so certificates
// ("-----BEGIN CERTIFICATE") and public keys pass.
const B64_DASHES = "LS0t";
const DECODED_PEM_KEY = /^-{3,5}BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY/;
// PKCS#12 (RFC 7292) PFX: SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data | pkcs7-signedData …
const PFX_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
const PFX_DECODED =
  /\x02\x01\x03\x30(?:[\x00-\x7f]|\x81[\s\S]|\x82[\s\S]{2}|\x83[\s\S]{3}|\x84[\s\S]{4})\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07[\x01\x02]/;
const MAX_FINDINGS = 100;
// The OID's "\xf7\x0d\x01\x07" tail: the same code units under either binaryString mapping.
const PFX_DER_TAIL = "\xf7\r\x01\x07";
const PFX_B64_SKIP = pfxBase64Needles();
const PFX_B64 = new RegExp([...PFX_B64_SKIP.keys()].join("|"), "g");
const PEM_KEY = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY|---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----/g;
/** The armour line itself: its label and the dashes closing it. */
const ARMOUR =
  /^(?:-{2,5}BEGIN ([A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?)-*|---- BEGIN (SSH2 ENCRYPTED PRIVATE KEY) ----)/;
/** Line breaks as XML or JSON may write them inside a value. */
const ESCAPED_BREAK = /&#(?:[xX]0*[aAdD]|0*1[03]);|\\[rn]/g;
/** RFC 1421 / RFC 4880 / RFC 4716 armour headers ("Proc-Type: 4,ENCRYPTED", "Version: …", "Comment: …"). */
const ARMOUR_HEADER = /^[ \t]*[A-Za-z][A-Za-z0-9-]*:[^\n<"']*(?:\\\n[^\n<"']*)*$/gm;
/** The smallest real private key (Ed25519 in PKCS#8) is 48 bytes of DER. */
const MIN_KEY_BYTES = 48;
const ALLOWABLE = new Set<LeakKind>(["pem-private-key", "base64-pem-private-key", "pkcs12", "base64-pkcs12"]);

/**
 * Refuses (SECRET_LEAK) any set of files about to be committed that holds a plaintext private
 * key (PEM or OpenSSH block, base64-encoded PEM as OPNsense keeps it in `<prv>`, PKCS#12 in DER
 * or base64), a given secret value verbatim, or a secret element that is not a marker.
 * The error names file, line and element, never the value. A few native searches over a
 * byte-per-char view of each file find candidates, which are then decoded and checked.
 */
export function checkForLeaks(
  files: Readonly<Record<string, Uint8Array>>,
  options: LeakGuardOptions = {},
): void {
  const findings = findLeaks(files, options);
  if (findings.length === 0) return;
  const first = findings[0];
  const more = findings.length > 1 ? ` (and ${findings.length - 1} more)` : "";
  throw new ConfvaultError(
    "SECRET_LEAK",
    `refusing to commit: ${first.file} line ${first.line}${first.element ? ` <${first.element}>` : ""}${first.inAttribute ? " (in an attribute value)" : ""} holds ${describe(first.kind)}${more}`,
    hintFor(first),
    { findings },
  );
}

function findLeaks(files: Readonly<Record<string, Uint8Array>>, options: LeakGuardOptions): LeakFinding[] {
  const { secretValues = [], minSecretLength = 8, secretSpans = {} } = options;
  const needles = [
    ...new Set(
      secretValues.filter((v) => v instanceof Uint8Array && v.length >= minSecretLength).map(binaryString),
    ),
  ];
  // Each built-in pattern gets its own native pass: a RegExp made of one literal runs with
  // Boyer-Moore skips (~2 ms per 10 MB), an alternation of unrelated literals cannot (~30 ms).
  // Secret values are random-looking, so indexOf gets no skips either (~5 ms each per 10 MB):
  // one alternation for all of them is cheaper from two values on.
  const secretSearch = needles.length > 0 ? new RegExp(needles.map(escapeRegExp).join("|"), "g") : null;
  const out: LeakFinding[] = [];
  for (const [file, bytes] of Object.entries(files)) {
    if (!(bytes instanceof Uint8Array)) {
      throw new ConfvaultError("BAD_INPUT", `file ${file} is not bytes`, "pass Uint8Array contents", {
        file,
      });
    }
    const text = binaryString(bytes);
    const spans = Object.hasOwn(secretSpans, file) ? secretSpans[file] : [];
    const hits: [LeakKind, number][] = [];
    // Armour alone (a MIME database entry, a DLP rule that blocks uploads of keys) is no key:
    // only an armour followed by a body that decodes to key material is.
    for (const m of text.matchAll(PEM_KEY))
      if (pemHoldsKey(text, m.index)) hits.push(["pem-private-key", m.index]);
    for (let p = text.indexOf(B64_DASHES); p !== -1; p = text.indexOf(B64_DASHES, p + 1)) {
      if (!DECODED_PEM_KEY.test(decodeWindow(text, p, 0, 64))) continue;
      const decoded = decodeWindow(text, p, 0, 16384);
      const armour = decoded.search(/-{2,5}BEGIN |---- BEGIN /);
      if (armour >= 0 && pemHoldsKey(decoded, armour)) hits.push(["base64-pem-private-key", p]);
    }
    for (const m of text.matchAll(PFX_B64)) {
      const skip = PFX_B64_SKIP.get(m[0])!;
      if (PFX_DECODED.test(decodeWindow(text, m.index - skip, 16, 32))) hits.push(["base64-pkcs12", m.index]);
    }
    for (let p = text.indexOf(PFX_DER_TAIL); p !== -1; p = text.indexOf(PFX_DER_TAIL, p + 1)) {
      const v = pfxDerAt(bytes, p - PFX_OID.indexOf(0xf7));
      if (v !== -1) hits.push(["pkcs12", v]);
    }
    if (secretSearch) {
      // Step one char past each hit so a value overlapping another is still seen.
      secretSearch.lastIndex = 0;
      for (let m = secretSearch.exec(text); m !== null; m = secretSearch.exec(text)) {
        hits.push(["secret-value", m.index]);
        secretSearch.lastIndex = m.index + 1;
      }
    }
    for (const span of spans) {
      if (span.hasChildren || span.contentEnd <= span.contentStart) continue;
      const encoding = markerEncodingOf(bytes);
      const content =
        encoding === "ascii"
          ? text.slice(span.contentStart, span.contentEnd)
          : markerText(bytes.subarray(span.contentStart, span.contentEnd), encoding);
      if (!SECRET_MARKER_EXACT.test(content)) {
        hits.push(["unsealed-secret-element", span.contentStart]);
      }
    }
    hits.sort((a, b) => a[1] - b[1]);
    const allowed = allowedRanges(file, bytes, hits, options.allow);
    for (const [kind, at] of hits) {
      if (out.length >= MAX_FINDINGS) return out;
      if (ALLOWABLE.has(kind) && allowed.some(([s, e]) => s <= at && at < e)) continue;
      const element = elementAt(text, at, spans);
      out.push({
        file,
        kind,
        line: lineOf(text, at),
        ...(element ? { element } : {}),
        ...(inStartTag(text, at) ? { inAttribute: true } : {}),
      });
    }
  }
  return out;
}

/**
 * Decodes base64 around a group-aligned offset: `back` chars before it and up to `ahead`
 * chars from it, skipping line breaks (wrapping at 64 or 76 columns never splits a group).
 * Returns a binary string, "" when the text there is not base64.
 */
function decodeWindow(text: string, at: number, back: number, ahead: number): string {
  if (at < 0) return "";
  let before = "";
  if (back > 0) {
    const raw = text.slice(Math.max(0, at - back * 2), at).replace(/[\r\n\t ]/g, "");
    const tail = /[A-Za-z0-9+/]*$/.exec(raw)![0];
    before = tail.slice(tail.length - Math.min(back, tail.length - (tail.length % 4)));
  }
  const rawAfter = text.slice(at, at + ahead * 2).replace(/[\r\n\t ]/g, "");
  const after = /^[A-Za-z0-9+/]*/.exec(rawAfter)![0];
  const chars = before + after.slice(0, ahead);
  try {
    return atob(chars.slice(0, chars.length - (chars.length % 4)));
  } catch {
    return "";
  }
}

/** The base64 text of PFX_OID at each of the three byte alignments → how far its group starts before it. */
function pfxBase64Needles(): Map<string, number> {
  const needles = new Map<string, number>();
  for (const pad of [0, 1, 2]) {
    const bytes = new Uint8Array(pad + PFX_OID.length);
    bytes.set(PFX_OID, pad);
    const full = Math.floor(bytes.length / 3) * 4;
    const skip = pad === 0 ? 0 : pad + 1;
    needles.set(base64.encode(bytes).slice(skip, full), skip);
  }
  return needles;
}

/** Where the PFX starting with the version before this OID offset begins, or -1 when it is not one. */
function pfxDerAt(bytes: Uint8Array, oid: number): number {
  if (oid < 5 || oid + PFX_OID.length >= bytes.length) return -1;
  if (!PFX_OID.every((b, k) => bytes[oid + k] === b)) return -1;
  const next = bytes[oid + PFX_OID.length];
  if (next !== 0x01 && next !== 0x02) return -1;
  for (let lenBytes = 1; lenBytes <= 5; lenBytes++) {
    const v = oid - lenBytes - 4;
    if (v < 0) break;
    const first = bytes[v + 4];
    const lengthOk = lenBytes === 1 ? first < 0x80 : first === 0x80 + lenBytes - 1;
    if (
      lengthOk &&
      bytes[v] === 0x02 &&
      bytes[v + 1] === 0x01 &&
      bytes[v + 2] === 0x03 &&
      bytes[v + 3] === 0x30
    ) {
      return v;
    }
  }
  return -1;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function lineOf(text: string, at: number): number {
  let line = 1;
  for (let p = text.indexOf("\n"); p !== -1 && p < at; p = text.indexOf("\n", p + 1)) line++;
  return line;
}

/** The secret span holding the offset, else the name of the nearest start tag before it. */
function elementAt(text: string, at: number, spans: readonly ElementSpan[]): string | undefined {
  let best: ElementSpan | undefined;
  for (const s of spans) {
    if (s.start <= at && at < s.end && (!best || s.start >= best.start)) best = s;
  }
  if (best) return best.path || best.name;
  let p = at;
  for (let tries = 0; tries < 20 && p > 0; tries++) {
    p = text.lastIndexOf("<", p - 1);
    if (p === -1) return undefined;
    const m = /^<([A-Za-z_][\w.:-]*)[\s/>]/.exec(text.slice(p, p + 256));
    if (m) return m[1];
  }
  return undefined;
}

function describe(kind: LeakKind): string {
  switch (kind) {
    case "pem-private-key":
      return "a plaintext private key (PEM block)";
    case "base64-pem-private-key":
      return "a plaintext private key (base64-encoded PEM)";
    case "pkcs12":
      return "a PKCS#12 key store";
    case "base64-pkcs12":
      return "a PKCS#12 key store (base64-encoded)";
    case "secret-value":
      return "a secret value in plaintext";
    case "unsealed-secret-element":
      return "a secret element whose value is not sealed";
  }
}

function hintFor(finding: LeakFinding): string {
  const path = `//${finding.element ?? "element"}`;
  if (!ALLOWABLE.has(finding.kind)) {
    return finding.kind === "unsealed-secret-element"
      ? "the element is in secretPaths but does not hold a marker: apply the real value (confvault seals it), not an edited marker"
      : "a lifted secret value must not appear anywhere else in plaintext: remove the copy, or add its element to secretPaths in settings.json";
  }
  const seal = finding.inAttribute
    ? "a key in an attribute value cannot be sealed (secretPaths seals element text): move it into an element listed in secretPaths"
    : `if it is a real key, keep it sealed: add "${path}" to secretPaths.add in settings.json (its text is then lifted and sealed)`;
  return (
    `${seal}, or pass the certificate and key with --cert/--key instead of inside the file; ` +
    `if it is not a key of this appliance (a sample, a test fixture), list the element in settings.json ` +
    `leakGuard.allow, e.g. "leakGuard": {"allow": ["${path}"]}`
  );
}

/**
 * True when the armour at `at` is followed by a body that is key material: base64 that decodes
 * to a DER key structure (PKCS#1, PKCS#8 plain or encrypted, SEC1, DSA), an OpenSSH key
 * ("openssh-key-v1"), an OpenPGP secret-key packet or an SSH2 (RFC 4716) key; behind armour
 * headers (Proc-Type: 4,ENCRYPTED) any body of key size. An armour line alone is not a key.
 */
function pemHoldsKey(text: string, at: number): boolean {
  const head = ARMOUR.exec(text.slice(at, at + 80));
  if (head === null) return false;
  const label = head[1] ?? head[2] ?? "";
  let body = text.slice(at + head[0].length, at + head[0].length + 16384).replace(ESCAPED_BREAK, "\n");
  const end = body.search(/-----END |---- END /);
  if (end >= 0) body = body.slice(0, end);
  let headers = false;
  body = body.replace(ARMOUR_HEADER, () => {
    headers = true;
    return "";
  });
  if (label.startsWith("PGP")) body = body.replace(/^[ \t]*=[A-Za-z0-9+/]{4}[ \t]*$/m, ""); // CRC-24 line
  const b64 = /^[A-Za-z0-9+/=\s]*/.exec(body)![0].replace(/\s+/g, "").replace(/=.*$/, "");
  let bytes: string;
  try {
    bytes = atob(b64.slice(0, b64.length - (b64.length % 4)));
  } catch {
    return false;
  }
  if (bytes.length < MIN_KEY_BYTES) return false;
  if (label === "OPENSSH PRIVATE KEY") return bytes.startsWith("openssh-key-v1\0");
  if (label.startsWith("PGP")) return isPgpSecretKeyPacket(bytes.charCodeAt(0));
  if (label === "SSH2 ENCRYPTED PRIVATE KEY") return bytes.startsWith("\x3f\x6f\xf9\xeb");
  return headers || isDerKey(bytes);
}

/** SEQUENCE with a sound length, then INTEGER (version) or SEQUENCE (an encrypted key's algorithm). */
function isDerKey(der: string): boolean {
  if (der.charCodeAt(0) !== 0x30) return false;
  const first = der.charCodeAt(1);
  let length: number;
  let at: number;
  if (first < 0x80) {
    length = first;
    at = 2;
  } else {
    const n = first - 0x80;
    if (n < 1 || n > 3) return false;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + der.charCodeAt(2 + k);
    at = 2 + n;
  }
  if (length + at < MIN_KEY_BYTES) return false;
  const next = der.charCodeAt(at);
  return next === 0x02 || next === 0x30;
}

/** OpenPGP packet header of a Secret-Key (5) or Secret-Subkey (7) packet, old or new format. */
function isPgpSecretKeyPacket(b: number): boolean {
  if ((b & 0x80) === 0) return false;
  const tag = b & 0x40 ? b & 0x3f : (b >> 2) & 0x0f;
  return tag === 5 || tag === 7;
}

/** True when `at` lies inside a start tag (an attribute value), judged from the nearest "<" and ">". */
function inStartTag(text: string, at: number): boolean {
  const lt = text.lastIndexOf("<", at);
  if (lt < 0 || text.lastIndexOf(">", at) > lt) return false;
  const c = text.charCodeAt(lt + 1);
  return c !== 33 && c !== 63 && c !== 47; // not "<!", "<?" or "</"
}

/** Byte ranges of the elements `allow` names, for an XML file that has allowable hits. */
function allowedRanges(
  file: string,
  bytes: Uint8Array,
  hits: readonly [LeakKind, number][],
  allow: readonly string[] | undefined,
): [number, number][] {
  if (!allow || allow.length === 0 || !hits.some(([kind]) => ALLOWABLE.has(kind))) return [];
  if (!/\.xml$/i.test(file)) return [];
  try {
    return scanXml(bytes, { patterns: allow }).matches.map((m) => [m.start, m.end]);
  } catch {
    return []; // not well-formed: nothing is allowed
  }
}
