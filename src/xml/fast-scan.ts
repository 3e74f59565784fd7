import { createByteOffsetMapper } from "./byte-offsets.ts";
import type { DecodedXml } from "./decode-xml-bytes.ts";
import { isXmlChar } from "./parse-doctype.ts";
import { compilePathMatcher } from "./path-matcher.ts";
import type { ElementSpan, ScanOptions, XmlScan } from "./types.ts";

/*
 * A fast path for `scanXml`. saxes calls a state function per character (≈ 24 ms per MB); a
 * config is mostly runs of text and short tags that indexOf (SIMD) and small charCodeAt loops
 * jump across several times faster. This tokenizer only has to be right about the documents it
 * ACCEPTS: it handles the XML that appliances write (an XML declaration, ASCII names, quoted
 * attributes, the five predefined entities and character references, comments, CDATA, PIs) and
 * gives up (returns null) on anything else, well-formed or not: a DOCTYPE, a non-ASCII name,
 * any other entity, every error. The caller then scans the whole document with saxes, so
 * errors and their line:column stay exactly what saxes reports. Every rule below mirrors what
 * saxes 6 (xmlns off, XML 1.0) accepts; test/xml/fast-scan-differential.test.ts holds both
 * paths to identical results.
 */

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34;
const AMP = 38;
const SQUOTE = 39;
const SLASH = 47;
const LESS = 60;
const EQUAL = 61;
const GREATER = 62;
const QUESTION = 63;

/**
 * XML NameChar (bit 1) and NameStartChar (bit 2) by char code, ASCII only: a name with any
 * other character gives up. Sized for every UTF-16 unit so lookups need no range check.
 */
const NAME = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  NAME[c] = /[A-Za-z_:]/.test(ch) ? 3 : /[0-9.-]/.test(ch) ? 1 : 0;
}

/** Version 1.0 only: saxes switches to XML 1.1 character rules for any other 1.x. */
const S = "[ \\t\\n\\r]";
const DECLARATION = new RegExp(
  `<\\?xml${S}+version${S}*=${S}*(?:"1\\.0"|'1\\.0')` +
    `(?:${S}+encoding${S}*=${S}*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?` +
    `(?:${S}+standalone${S}*=${S}*(?:"(?:yes|no)"|'(?:yes|no)'))?${S}*\\?>`,
  "y",
);
/** A predefined entity or a character reference, as saxes parses them (lower-case "x" only). */
const REFERENCE = /&(?:lt|gt|amp|apos|quot|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;
const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };

/** C0 controls other than TAB, LF and CR: not XML characters. */
const C0 = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).filter((ch) => !/[\t\n\r]/.test(ch));
/** Characters that are not XML Chars, plus every surrogate (each must start a pair). */
const SUSPECT = /[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/g;

/** The scan of a document the fast path fully understands, or null: then use saxes. */
export function fastScan(decoded: DecodedXml, options: ScanOptions = {}): XmlScan | null {
  const { text } = decoded;
  const n = text.length;
  if (!onlyXmlChars(decoded)) return null;
  const toByte = createByteOffsetMapper(decoded);
  const wanted = compilePathMatcher(options.patterns);
  const havePatterns = (options.patterns?.length ?? 0) > 0;
  // Only an element whose name some pattern ends with can match: its length is a cheap first
  // filter, so most names are never sliced out of the text and paths are built only for those.
  const candidateLength = new Uint8Array(256);
  for (const name of wanted.names) candidateLength[Math.min(name.length, 255)] = 1;
  const sections: ElementSpan[] = [];
  const matches: ElementSpan[] = [];

  // The open elements by depth (0 = root): where each name sits in `text` and how long it is,
  // whether it has child elements, and the span it became (null for most). Typed arrays (grown
  // on demand) rather than an object per element: this loop runs for every tag.
  let nameAt = new Int32Array(64);
  let nameLength = new Int32Array(64);
  let childrenAt = new Uint8Array(64);
  const spanAt: (ElementSpan | null)[] = [];
  let depth = 0;
  const textRuns = new TextRuns(text);
  const seen: string[] = [];

  // Prolog: the declaration (only at the very start), then whitespace, comments and PIs.
  let pos = 0;
  if (text.startsWith("<?xml") && !(NAME[text.charCodeAt(5)] & 1)) {
    DECLARATION.lastIndex = 0;
    if (!DECLARATION.test(text)) return null;
    pos = DECLARATION.lastIndex;
  }
  pos = skipMisc(text, pos);
  if (pos < 0 || pos >= n || !(NAME[text.charCodeAt(pos + 1)] & 2)) return null;

  // Elements. At the top of the loop `pos` is at a "<" inside the root element (or its start).
  let rootName = "";
  while (true) {
    const c = text.charCodeAt(pos + 1);
    if (NAME[c] & 2) {
      const nameStart = pos + 1;
      let i = pos + 2;
      let k: number;
      while (NAME[(k = text.charCodeAt(i))] & 1) i++;
      // Same spans as scan-document's opentagstart handler: the root's name, every section
      // (depth 1) and every element matching a pattern.
      let span: ElementSpan | null = null;
      if (depth === 0) rootName = text.slice(nameStart, i);
      else {
        childrenAt[depth - 1] = 1;
        if (depth === 1 || (havePatterns && candidateLength[Math.min(i - nameStart, 255)] === 1)) {
          const name = text.slice(nameStart, i);
          let path = name;
          let isMatch = false;
          if (havePatterns && wanted.names.has(name)) {
            if (depth > 1) path = pathTo(text, nameAt, nameLength, depth, name);
            isMatch = wanted(path, name);
          }
          if (depth === 1 || isMatch) {
            const start = toByte(pos);
            span = {
              path,
              name,
              depth,
              start,
              end: start,
              contentStart: start,
              contentEnd: start,
              attributes: {},
              hasChildren: false,
            };
            if (depth === 1) sections.push(span);
            if (isMatch) matches.push(span);
          }
        }
      }
      if (k === GREATER) pos = i + 1;
      else if (k === SLASH && text.charCodeAt(i + 1) === GREATER) pos = i + 2;
      else if (k === SPACE || k === LF || k === TAB || k === CR) {
        pos = readAttributes(text, i + 1, span === null ? null : span.attributes, seen);
        if (pos < 0) return null;
      } else return null;
      if (text.charCodeAt(pos - 2) === SLASH) {
        // Self-closing: the tag ends "/>" (a value's quote or a name precedes a lone ">").
        if (span !== null) span.contentStart = span.contentEnd = span.end = toByte(pos);
        if (depth === 0) break;
      } else {
        if (span !== null) span.contentStart = toByte(pos);
        if (depth === nameAt.length) {
          nameAt = grow(nameAt);
          nameLength = grow(nameLength);
          childrenAt = grow(childrenAt);
        }
        nameAt[depth] = nameStart;
        nameLength[depth] = i - nameStart;
        childrenAt[depth] = 0;
        spanAt[depth] = span;
        depth++;
      }
    } else if (c === SLASH) {
      const d = depth - 1;
      const from = nameAt[d];
      const length = nameLength[d];
      let i = pos + 2;
      for (let j = 0; j < length; j++, i++) if (text.charCodeAt(i) !== text.charCodeAt(from + j)) return null;
      let k = text.charCodeAt(i);
      while (k === SPACE || k === LF || k === TAB || k === CR) k = text.charCodeAt(++i);
      if (k !== GREATER) return null; // also a longer name: "</ab>" closing <a>
      const span = spanAt[d];
      if (span !== null) {
        span.contentEnd = toByte(pos);
        span.end = toByte(i + 1);
        span.hasChildren = childrenAt[d] === 1;
      }
      pos = i + 1;
      depth = d;
      if (depth === 0) break;
    } else if (text.startsWith("<!--", pos)) {
      pos = commentEnd(text, pos);
      if (pos < 0) return null;
    } else if (text.startsWith("<![CDATA[", pos)) {
      const end = text.indexOf("]]>", pos + 9);
      if (end < 0) return null;
      pos = end + 3;
    } else if (c === QUESTION) {
      pos = piEnd(text, pos);
      if (pos < 0) return null;
    } else return null;
    const next = text.indexOf("<", pos);
    if (next < 0) return null; // unclosed elements
    if ((textRuns.nextAmp < next || textRuns.nextCdataEnd < next) && !textRuns.ok(pos, next)) return null;
    pos = next;
  }

  // Epilogue: only whitespace, comments and PIs after the root element.
  if (skipMisc(text, pos) !== n) return null;
  return { encoding: decoded.encoding, bom: decoded.bomLength > 0, rootName, sections, matches };
}

/**
 * Checks character data. Text runs are jumped over with indexOf("<"), so the next "&" and the
 * next "]]>" are found once for the whole document and only looked at when they fall inside a
 * run (an "&" in an attribute value or a comment is skipped, a "]]>" ending a CDATA section too).
 */
class TextRuns {
  nextAmp: number;
  nextCdataEnd: number;
  constructor(private readonly text: string) {
    this.nextAmp = indexOrEnd(text, "&", 0);
    this.nextCdataEnd = indexOrEnd(text, "]]>", 0);
  }

  /** True when the run [from, to) holds only well-formed references and no "]]>". */
  ok(from: number, to: number): boolean {
    const { text } = this;
    while (this.nextAmp < to) {
      if (this.nextAmp < from) this.nextAmp = indexOrEnd(text, "&", from);
      else {
        const end = referenceEnd(text, this.nextAmp);
        if (end < 0) return false;
        this.nextAmp = indexOrEnd(text, "&", end);
      }
    }
    while (this.nextCdataEnd < to) {
      if (this.nextCdataEnd >= from) return false; // saxes: ']]>' is disallowed in char data
      this.nextCdataEnd = indexOrEnd(text, "]]>", from);
    }
    return true;
  }
}

/**
 * Reads the attributes of a start tag from `at` (just past the whitespace after its name) and
 * returns the index past its ">" or "/>", or -1 to give up. Values are decoded only for
 * elements that become spans (`attributes` not null). `seen` is scratch space for names.
 */
function readAttributes(
  text: string,
  at: number,
  attributes: Record<string, string> | null,
  seen: string[],
): number {
  let i = at;
  let count = 0;
  while (true) {
    let c = text.charCodeAt(i);
    while (c === SPACE || c === LF || c === TAB || c === CR) c = text.charCodeAt(++i);
    if (c === GREATER) return i + 1;
    if (c === SLASH) return text.charCodeAt(i + 1) === GREATER ? i + 2 : -1;
    if (!(NAME[c] & 2)) return -1;
    const nameStart = i;
    while (NAME[(c = text.charCodeAt(++i))] & 1);
    const name = text.slice(nameStart, i);
    for (let s = 0; s < count; s++) if (seen[s] === name) return -1; // saxes: "duplicate attribute"
    seen[count++] = name;
    while (c === SPACE || c === LF || c === TAB || c === CR) c = text.charCodeAt(++i);
    if (c !== EQUAL) return -1;
    c = text.charCodeAt(++i);
    while (c === SPACE || c === LF || c === TAB || c === CR) c = text.charCodeAt(++i);
    if (c !== DQUOTE && c !== SQUOTE) return -1;
    const valueStart = i + 1;
    const valueEnd = text.indexOf(c === DQUOTE ? '"' : "'", valueStart);
    if (valueEnd < 0) return -1;
    let plain = true;
    for (let j = valueStart; j < valueEnd; j++) {
      const v = text.charCodeAt(j);
      if (v === LESS) return -1;
      if (v === AMP) {
        if (referenceEnd(text, j) < 0) return -1;
        plain = false;
      } else if (v === LF || v === TAB || v === CR) plain = false;
    }
    if (attributes !== null) {
      const value = plain ? text.slice(valueStart, valueEnd) : attributeValue(text, valueStart, valueEnd);
      if (name === "__proto__") {
        // An own data property, as scan-document's copyAttributes makes it.
        Object.defineProperty(attributes, name, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else attributes[name] = value;
    }
    i = valueEnd + 1;
    c = text.charCodeAt(i);
    // saxes wants whitespace between attributes ("no whitespace between attributes").
    if (c !== SPACE && c !== LF && c !== TAB && c !== CR && c !== GREATER && c !== SLASH) return -1;
  }
}

/** Slash path of the element `name` opened at `depth` (names below the root). */
function pathTo(
  text: string,
  nameAt: Int32Array,
  nameLength: Int32Array,
  depth: number,
  name: string,
): string {
  let path = "";
  for (let d = 1; d < depth; d++) path += `${text.slice(nameAt[d], nameAt[d] + nameLength[d])}/`;
  return path + name;
}

/**
 * True when every character is an XML Char. A one-char-per-byte text (ASCII, or windows-1252,
 * which never yields U+FFFE/U+FFFF or surrogates) only needs the C0 check: 29 indexOf calls
 * (SIMD, ≈ 0.5 ms per MB) beat one regex pass. Otherwise one regex pass finds every suspect
 * character; a surrogate is fine when it is a high one followed by a low one.
 */
function onlyXmlChars(decoded: DecodedXml): boolean {
  const { text } = decoded;
  if (decoded.oneBytePerChar) {
    for (const ch of C0) if (text.includes(ch)) return false;
    return true;
  }
  SUSPECT.lastIndex = 0;
  for (let m = SUSPECT.exec(text); m !== null; m = SUSPECT.exec(text)) {
    const high = text.charCodeAt(m.index);
    const low = text.charCodeAt(m.index + 1);
    if (!(high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff)) return false;
    SUSPECT.lastIndex = m.index + 2;
  }
  return true;
}

function grow<T extends Int32Array | Uint8Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}

function indexOrEnd(text: string, search: string, from: number): number {
  const at = text.indexOf(search, from);
  return at < 0 ? Number.POSITIVE_INFINITY : at;
}

/** Index past a well-formed reference at `at` ("&"), or -1 for anything else (even if saxes knows it). */
function referenceEnd(text: string, at: number): number {
  REFERENCE.lastIndex = at;
  const m = REFERENCE.exec(text);
  if (m === null) return -1;
  if (m[1] !== undefined || m[2] !== undefined) {
    const code = m[1] !== undefined ? Number.parseInt(m[1], 10) : Number.parseInt(m[2], 16);
    if (!isXmlChar(code)) return -1;
  }
  return REFERENCE.lastIndex;
}

/** An attribute value as saxes reports it: references replaced, TAB/LF/CR/CRLF as one space. */
function attributeValue(text: string, from: number, to: number): string {
  let out = "";
  let run = from;
  for (let j = from; j < to; j++) {
    const c = text.charCodeAt(j);
    if (c === AMP) {
      REFERENCE.lastIndex = j;
      const m = REFERENCE.exec(text)!;
      const body = m[0].slice(1, -1);
      out += text.slice(run, j);
      out +=
        m[1] !== undefined
          ? String.fromCodePoint(Number.parseInt(m[1], 10))
          : m[2] !== undefined
            ? String.fromCodePoint(Number.parseInt(m[2], 16))
            : PREDEFINED[body];
      j = REFERENCE.lastIndex - 1;
      run = REFERENCE.lastIndex;
    } else if (c === LF || c === TAB || c === CR) {
      out += `${text.slice(run, j)} `;
      if (c === CR && text.charCodeAt(j + 1) === LF) j++;
      run = j + 1;
    }
  }
  return out + text.slice(run, to);
}

/** Index past the comment at `at`, or -1. saxes, like XML, refuses "--" inside a comment. */
function commentEnd(text: string, at: number): number {
  const dashes = text.indexOf("--", at + 4);
  return dashes >= 0 && text.charCodeAt(dashes + 2) === GREATER ? dashes + 3 : -1;
}

/** Index past the processing instruction at `at`, or -1 (a target spelled "xml" in any case too). */
function piEnd(text: string, at: number): number {
  let i = at + 2;
  let c = text.charCodeAt(i);
  if (!(NAME[c] & 2)) return -1;
  while (NAME[(c = text.charCodeAt(++i))] & 1);
  if (i - at - 2 === 3 && text.slice(at + 2, i).toLowerCase() === "xml") return -1;
  if (c === QUESTION) return text.charCodeAt(i + 1) === GREATER ? i + 2 : -1;
  if (c !== SPACE && c !== LF && c !== TAB && c !== CR) return -1;
  const end = text.indexOf("?>", i);
  return end < 0 ? -1 : end + 2;
}

/** Index of the first "<" from `at` that starts neither a comment nor a PI, skipping whitespace; n at the end; -1 on any other text. */
function skipMisc(text: string, at: number): number {
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === LF || c === TAB || c === CR) i++;
    else if (c !== LESS) return -1;
    else if (text.startsWith("<!--", i)) {
      i = commentEnd(text, i);
      if (i < 0) return -1;
    } else if (text.charCodeAt(i + 1) === QUESTION) {
      i = piEnd(text, i);
      if (i < 0) return -1;
    } else return i;
  }
  return i;
}
