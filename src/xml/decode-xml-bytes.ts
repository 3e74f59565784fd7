import type { ConfvaultError } from "../errors/confvault-error.ts";
import { xmlMalformed } from "./xml-errors.ts";

export interface DecodedXml {
  text: string;
  /** Lower-cased encoding from the declaration, "utf-8" when absent. */
  encoding: string;
  /** Bytes taken by a UTF-8 byte order mark (0 or 3). */
  bomLength: number;
  /** True when every character is one byte: char index + bomLength is the byte offset. */
  oneBytePerChar: boolean;
}

const UTF8 = new Set(["utf-8", "utf8"]);
const SINGLE_BYTE = new Set([
  "iso-8859-1",
  "latin1",
  "iso_8859-1",
  "l1",
  "windows-1252",
  "cp1252",
  "us-ascii",
  "ascii",
]);
const DECLARATION = /^<\?xml\s+version\s*=\s*(["'])[^"']*\1(?:\s+encoding\s*=\s*(["'])([^"']*)\2)?/;

/** Decodes config bytes the way the declaration says, keeping track of how chars map to bytes. */
export function decodeXmlBytes(bytes: Uint8Array): DecodedXml {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw xmlMalformed(
      1,
      1,
      "UTF-16 documents are not supported (the file starts with a UTF-16 byte order mark)",
      "Save config.xml as UTF-8 (for example: iconv -f UTF-16 -t UTF-8), then try again.",
    );
  }
  const bomLength = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const head = String.fromCharCode(...bytes.subarray(bomLength, bomLength + 256));
  const declared = DECLARATION.exec(head)?.[3]?.toLowerCase();
  const encoding = declared ?? "utf-8";
  if (UTF8.has(encoding)) return decodeUtf8(bytes, bomLength, encoding);
  if (!SINGLE_BYTE.has(encoding)) {
    throw xmlMalformed(
      1,
      1,
      `unsupported encoding "${declared}"`,
      'Convert config.xml to UTF-8 (and its declaration to encoding="UTF-8"), then try again.',
    );
  }
  if (bomLength > 0) {
    throw xmlMalformed(
      1,
      1,
      `the file starts with a UTF-8 byte order mark but declares encoding "${declared}"`,
    );
  }
  // WHATWG maps latin1 and us-ascii labels to windows-1252: still one char per byte.
  const text = new TextDecoder("windows-1252").decode(bytes);
  return { text, encoding, bomLength: 0, oneBytePerChar: true };
}

function decodeUtf8(bytes: Uint8Array, bomLength: number, encoding: string): DecodedXml {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    throw invalidUtf8(bytes, bomLength, err);
  }
  // With a fatal decoder, equal lengths can only mean every byte was ASCII.
  return { text, encoding, bomLength, oneBytePerChar: text.length === bytes.length - bomLength };
}

function invalidUtf8(bytes: Uint8Array, bomLength: number, cause: unknown): ConfvaultError {
  const bad = firstInvalidUtf8(bytes, bomLength);
  const before = new TextDecoder("utf-8").decode(bytes.subarray(bomLength, bad));
  const lines = before.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1] ?? "";
  const error = xmlMalformed(
    lines.length,
    [...last].length + 1,
    `invalid UTF-8 byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, "0")} at byte offset ${bad}`,
    'Save config.xml as UTF-8, or declare its real encoding (for example encoding="ISO-8859-1").',
  );
  (error as { cause?: unknown }).cause = cause;
  return error;
}

function firstInvalidUtf8(bytes: Uint8Array, from: number): number {
  let i = from;
  while (i < bytes.length) {
    const b = bytes[i];
    const need =
      b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    if (need > 0) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(i, i + need + 1));
      } catch {
        return i;
      }
    }
    i += need + 1;
  }
  return i;
}
