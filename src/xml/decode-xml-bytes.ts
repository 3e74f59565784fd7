import { ConfvaultError } from "../errors/confvault-error.ts";
import { xmlMalformed } from "./xml-errors.ts";

export interface DecodedXml {
  text: string;
  /** Lower-cased encoding from the declaration; without one "utf-8", or "utf-16le"/"utf-16be" after a UTF-16 BOM. */
  encoding: string;
  /** Bytes taken by a byte order mark (0, 2 for UTF-16 or 3 for UTF-8). */
  bomLength: number;
  /** True when every character is one byte: char index + bomLength is the byte offset. */
  oneBytePerChar: boolean;
  /**
   * How string indexes map to byte offsets when not one byte per char: "utf-8" (the default),
   * "utf-16" (two bytes per UTF-16 code unit) or "multi-byte" (Shift_JIS, EUC-JP, EUC-KR, Big5,
   * GBK/GB18030: walked over `bytes`, see byte-offsets.ts).
   */
  layout?: "utf-8" | "utf-16" | "multi-byte";
  /** The WHATWG name of the decoder used ("shift_jis", "windows-1251", …). */
  decoder?: string;
  /** The original bytes (kept for the "multi-byte" layout). */
  bytes?: Uint8Array;
}

/**
 * Every encoding a config.xml may be in (WHATWG names; any WHATWG label of them is accepted in
 * the declaration, e.g. "Shift_JIS", "GB2312", "ISO-8859-9", "TIS-620", "latin1"). All of them
 * keep "<", ">", "&", quotes, "=", "/", "?", ";" and whitespace as single bytes that never occur
 * inside a multi-byte character, so markup is found at byte offsets that splice exactly.
 * Left out: ISO-2022-JP (stateful: "<" bytes occur inside its escape sequences), the
 * "replacement" labels and x-user-defined; an encoding this runtime's TextDecoder lacks
 * (Node without full ICU) drops out of the list by itself.
 */
const CANDIDATES = [
  "utf-8",
  "utf-16le",
  "utf-16be",
  "windows-1252",
  "iso-8859-2",
  "iso-8859-3",
  "iso-8859-4",
  "iso-8859-5",
  "iso-8859-6",
  "iso-8859-7",
  "iso-8859-8",
  "iso-8859-8-i",
  "iso-8859-10",
  "iso-8859-13",
  "iso-8859-14",
  "iso-8859-15",
  "iso-8859-16",
  "windows-874",
  "windows-1250",
  "windows-1251",
  "windows-1253",
  "windows-1254",
  "windows-1255",
  "windows-1256",
  "windows-1257",
  "windows-1258",
  "koi8-r",
  "koi8-u",
  "ibm866",
  "macintosh",
  "x-mac-cyrillic",
  "shift_jis",
  "euc-jp",
  "euc-kr",
  "big5",
  "gbk",
  "gb18030",
] as const;
const MULTI_BYTE = new Set(["shift_jis", "euc-jp", "euc-kr", "big5", "gbk", "gb18030"]);

let supported: readonly string[] | undefined;

/** The encodings this runtime decodes (WHATWG names), in the order the README lists them. */
export function supportedEncodings(): readonly string[] {
  supported ??= CANDIDATES.filter((name) => decoderName(name) === name);
  return supported;
}

/**
 * A stored config as text, for showing it (unified diffs, review reports): decoded as its BOM
 * or declared encoding says when this runtime has it, else as latin1, which never fails.
 */
export function configText(bytes: Uint8Array, encoding: string): string {
  const bom =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? "utf-16le"
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? "utf-16be"
        : "";
  const name = bom || decoderName(encoding);
  const usable = name !== undefined && supportedEncodings().includes(name);
  return new TextDecoder(usable ? name : "latin1").decode(bytes);
}

/** The WHATWG name behind a label ("Shift_JIS" → "shift_jis", "latin1" → "windows-1252"), or undefined. */
function decoderName(label: string): string | undefined {
  try {
    return new TextDecoder(label, { fatal: true }).encoding;
  } catch {
    return undefined;
  }
}

const DECLARATION = /^<\?xml\s+version\s*=\s*(["'])[^"']*\1(?:\s+encoding\s*=\s*(["'])([^"']*)\2)?/;
const UTF16 = new Set(["utf-16le", "utf-16be"]);

/** Decodes config bytes the way the BOM and declaration say, keeping track of how chars map to bytes. */
export function decodeXmlBytes(bytes: Uint8Array): DecodedXml {
  const utf16 =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? "utf-16le"
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? "utf-16be"
        : "";
  if (utf16 !== "") return decodeUtf16(bytes, utf16);
  if ((bytes[0] === 0x3c && bytes[1] === 0 && bytes[2] === 0x3f) || (bytes[0] === 0 && bytes[1] === 0x3c)) {
    throw unsupported(
      "UTF-16 without a byte order mark",
      "XML in UTF-16 must start with a byte order mark: save config.xml as UTF-16 with BOM, or as UTF-8.",
    );
  }
  const bomLength = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const head = String.fromCharCode(...bytes.subarray(bomLength, bomLength + 256));
  const declared = DECLARATION.exec(head)?.[3];
  const encoding = declared?.toLowerCase() ?? "utf-8";
  const name = declared === undefined ? "utf-8" : knownEncoding(declared);
  if (name === "utf-8") return decodeUtf8(bytes, bomLength, encoding);
  if (UTF16.has(name)) {
    throw xmlMalformed(
      1,
      1,
      `the document declares encoding "${declared}" but does not start with a UTF-16 byte order mark`,
      'Declare the encoding the bytes are really in (for example encoding="UTF-8"), or save config.xml as UTF-16 with BOM.',
    );
  }
  if (bomLength > 0) {
    throw xmlMalformed(
      1,
      1,
      `the file starts with a UTF-8 byte order mark but declares encoding "${declared}"`,
    );
  }
  const text = decodeFatal(bytes, name, 0);
  if (MULTI_BYTE.has(name)) {
    return {
      text,
      encoding,
      bomLength: 0,
      oneBytePerChar: false,
      layout: "multi-byte",
      decoder: name,
      bytes,
    };
  }
  // Every other supported encoding is single-byte: each byte is exactly one (BMP, non-surrogate) char.
  return { text, encoding, bomLength: 0, oneBytePerChar: true, decoder: name };
}

/** The WHATWG name of a declared label when it is supported, else UNSUPPORTED_ENCODING. */
function knownEncoding(declared: string): string {
  const name = decoderName(declared);
  if (name !== undefined && supportedEncodings().includes(name)) return name;
  throw unsupported(
    `unsupported encoding "${declared}"${name !== undefined && name !== declared.toLowerCase() ? ` (${name})` : ""}`,
    `Supported encodings: ${supportedEncodings().join(", ")} (any WHATWG label of them, e.g. Shift_JIS, GB2312, ISO-8859-9, TIS-620). ` +
      `Convert config.xml to one of them (for example: iconv -f ${declared} -t UTF-8, and declare encoding="UTF-8"), then try again.`,
    declared,
  );
}

function unsupported(reason: string, hint: string, declared?: string): ConfvaultError {
  return new ConfvaultError("UNSUPPORTED_ENCODING", `config.xml:1:1: ${reason}`, hint, {
    line: 1,
    column: 1,
    reason,
    ...(declared !== undefined ? { encoding: declared } : {}),
    supported: [...supportedEncodings()],
  });
}

function decodeUtf16(bytes: Uint8Array, name: "utf-16le" | "utf-16be"): DecodedXml {
  const head = new TextDecoder(name).decode(bytes.subarray(2, 2 + 512));
  const declared = DECLARATION.exec(head)?.[3];
  if (declared !== undefined) {
    const other = decoderName(declared);
    // "UTF-16" is a label of utf-16le in WHATWG: with a BOM it means whichever order the BOM says.
    if (!(declared.toLowerCase() === "utf-16" || declared.toLowerCase() === "ucs-2" || other === name)) {
      throw xmlMalformed(
        1,
        1,
        `the file starts with a ${name.toUpperCase()} byte order mark but declares encoding "${declared}"`,
        `Declare encoding="UTF-16" (or drop the encoding from the declaration), or save config.xml in ${declared}.`,
      );
    }
  }
  if (bytes.length % 2 !== 0) {
    const before = new TextDecoder(name).decode(bytes.subarray(2, bytes.length - 1));
    const at = position(before);
    throw xmlMalformed(
      at.line,
      at.column,
      `the ${name.toUpperCase()} document ends in the middle of a character (odd byte count)`,
    );
  }
  const text = decodeFatal(bytes, name, 2);
  return {
    text,
    encoding: declared?.toLowerCase() ?? name,
    bomLength: 2,
    oneBytePerChar: false,
    layout: "utf-16",
    decoder: name,
  };
}

/** Decodes everything after the BOM, or says where the first byte that is not `name` is. */
function decodeFatal(bytes: Uint8Array, name: string, bomLength: number): string {
  try {
    return new TextDecoder(name, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(bomLength));
  } catch (err) {
    const bad = firstUndecodable(bytes, bomLength, name);
    const at = position(new TextDecoder(name, { ignoreBOM: true }).decode(bytes.subarray(bomLength, bad)));
    const error = xmlMalformed(
      at.line,
      at.column,
      `byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, "0")} at byte offset ${bad} is not valid ${name}`,
      "Declare the encoding config.xml is really in (the encoding attribute of <?xml … ?>), or convert it (iconv) to the declared one.",
    );
    (error as { cause?: unknown }).cause = err;
    throw error;
  }
}

/** Offset of the byte where decoding `name` first fails (a binary search over streamed prefixes; error path only). */
function firstUndecodable(bytes: Uint8Array, from: number, name: string): number {
  const decodes = (end: number) => {
    try {
      new TextDecoder(name, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(from, end), {
        stream: true,
      });
      return true;
    } catch {
      return false;
    }
  };
  let ok = from; // bytes[from, ok) decode
  let bad = bytes.length; // bytes[from, bad) do not (or only at the end: then the tail is cut short)
  if (decodes(bad)) return Math.max(from, bytes.length - 1);
  while (bad - ok > 1) {
    const mid = (ok + bad) >>> 1;
    if (decodes(mid)) ok = mid;
    else bad = mid;
  }
  // bytes[bad - 1] is where the decoder gave up; the character it belongs to may start earlier.
  for (let start = bad - 1; start > Math.max(from, bad - 5); start--) {
    try {
      new TextDecoder(name, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(from, start));
      return start;
    } catch {}
  }
  return bad - 1;
}

function position(before: string): { line: number; column: number } {
  const lines = before.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1] ?? "";
  return { line: lines.length, column: [...last].length + 1 };
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
  const at = position(new TextDecoder("utf-8").decode(bytes.subarray(bomLength, bad)));
  const error = xmlMalformed(
    at.line,
    at.column,
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
