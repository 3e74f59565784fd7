import { SaxesParser } from "saxes";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { createByteOffsetMapper } from "./byte-offsets.ts";
import { firstReferenceError } from "./check-references.ts";
import { type DecodedXml, decodeXmlBytes } from "./decode-xml-bytes.ts";
import { createEntityResolver, DEFAULT_MAX_ENTITY_EXPANSION } from "./entity-resolver.ts";
import { type EntityDeclaration, parseDoctype } from "./parse-doctype.ts";
import { compilePathMatcher } from "./path-matcher.ts";
import type { ElementSpan, ScanOptions, XmlScan } from "./types.ts";
import { lineColumnAt, xmlMalformed } from "./xml-errors.ts";

export interface ScannedDocument {
  scan: XmlScan;
  decoded: DecodedXml;
  /** General entities declared in the DOCTYPE's internal subset (empty without one). */
  entities: ReadonlyMap<string, EntityDeclaration>;
}

interface Frame {
  name: string;
  path: string;
  charStart: number;
  span: ElementSpan | null;
  hasChildren: boolean;
}

/**
 * The saxes scan behind `scanXml` (which tries `fastScan` first), also handing back the decoded
 * text for callers that parse further. `decoded` saves decoding twice when the caller has it.
 */
export function scanDocument(
  bytes: Uint8Array,
  options: ScanOptions = {},
  decoded: DecodedXml = decodeXmlBytes(bytes),
): ScannedDocument {
  const { text } = decoded;
  if (text.trim() === "") {
    throw xmlMalformed(1, 1, "the document is empty (no root element)");
  }
  const toByte = createByteOffsetMapper(decoded);
  const wanted = compilePathMatcher(options.patterns);
  const havePatterns = (options.patterns?.length ?? 0) > 0;
  const limit = options.maxEntityExpansion ?? DEFAULT_MAX_ENTITY_EXPANSION;
  const parser = new SaxesParser({ xmlns: false, position: true });
  const frames: Frame[] = [];
  const sections: ElementSpan[] = [];
  const matches: ElementSpan[] = [];
  let rootName = "";
  let doctype: string | undefined;
  let entities: ReadonlyMap<string, EntityDeclaration> = new Map();
  const where = () => ({ line: parser.line, column: Math.max(1, parser.column) });

  // saxes' own table inherits from Object.prototype ("&constructor;" would pass): use a bare one.
  const table: Record<string, string> = Object.assign(Object.create(null), {
    lt: "<",
    gt: ">",
    amp: "&",
    apos: "'",
    quot: '"',
  });
  parser.ENTITIES = table;

  // Few handlers on purpose: each one saxes gets is a property added to the parser, and past
  // a handful V8 turns it into a slow dictionary object (5x slower scans). Errors are caught.
  if (text.includes("<!DOCTYPE")) {
    parser.on("doctype", (declaration) => {
      doctype = declaration;
      const at = lineColumnAt(text, text.lastIndexOf("<!DOCTYPE", parser.position));
      const parsed = parseDoctype(declaration, at);
      entities = parsed.entities;
      const resolver = createEntityResolver(parsed.entities, limit, where);
      for (const name of parsed.entities.keys()) {
        Object.defineProperty(table, name, { get: () => resolver.reference(name), enumerable: true });
      }
    });
  }

  parser.on("opentagstart", (tag) => {
    const charStart = markupStart(text, parser.position - tag.name.length - 2);
    const depth = frames.length;
    const parent = frames[depth - 1];
    let path = "";
    if (parent === undefined) rootName = tag.name;
    else {
      parent.hasChildren = true;
      if (depth === 1) path = tag.name;
      else if (havePatterns) path = `${parent.path}/${tag.name}`;
    }
    const isMatch = depth > 0 && havePatterns && wanted(path, tag.name);
    let span: ElementSpan | null = null;
    if (depth === 1 || isMatch) {
      const start = toByte(charStart);
      span = {
        path,
        name: tag.name,
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
    frames.push({ name: tag.name, path, charStart, span, hasChildren: false });
  });

  parser.on("opentag", (tag) => {
    const span = frames[frames.length - 1].span;
    if (span) {
      span.contentStart = toByte(parser.position);
      span.attributes = copyAttributes(tag.attributes);
    }
  });

  let lastClosed: Frame | undefined;
  parser.on("closetag", (tag) => {
    const frame = frames.pop()!;
    lastClosed = frame;
    const span = frame.span;
    if (span === null) return;
    const end = parser.position;
    if (tag.isSelfClosing) {
      span.contentStart = span.contentEnd = span.end = toByte(end);
      return;
    }
    span.contentEnd = toByte(markupStart(text, end - frame.name.length - 3));
    span.end = toByte(end);
    span.hasChildren = frame.hasChildren;
  });

  const describeError = (reason: string) => {
    const here = where();
    const unclosed = /^unclosed tag: (.*)$/.exec(reason);
    if (unclosed) {
      const frame = [...frames].reverse().find((f) => f.name === unclosed[1]) ?? frames[frames.length - 1];
      const at = lineColumnAt(text, frame.charStart);
      return xmlMalformed(at.line, at.column, `element <${frame.name}> is never closed`);
    }
    if (reason === "text data outside of root node.") {
      // saxes complains at the "<", "&" or end after the text; the text starts after the last ">".
      const from = text.lastIndexOf(">", parser.position - 2) + 1;
      const index = text.slice(from).search(/\S/);
      const at = lineColumnAt(text, index < 0 ? parser.position : from + index);
      const which = rootName === "" ? "before" : "after";
      return xmlMalformed(at.line, at.column, `text ${which} the root element is not allowed`);
    }
    if (reason === "undefined entity.") {
      const amp = text.lastIndexOf("&", parser.position - 1);
      return xmlMalformed(here.line, here.column, `undefined entity ${text.slice(amp, parser.position)}`);
    }
    if (reason === "unexpected close tag." && lastClosed) {
      return mismatchedEndTag(text, markupStart(text, parser.position - 1), lastClosed);
    }
    if (reason === "documents may contain only one root.") {
      const at = lineColumnAt(text, text.lastIndexOf("<", parser.position - 1));
      return xmlMalformed(at.line, at.column, "a second root element is not allowed");
    }
    return xmlMalformed(here.line, here.column, reason.replace(/\.$/, ""));
  };

  try {
    parser.write(text).close();
  } catch (err) {
    // saxes swallows a bad "&" up to the next ";": report the first bad reference where it is.
    const misplaced = firstReferenceError(text, parser.position, entities);
    if (misplaced !== null && !(err instanceof ConfvaultError && err.code !== "XML_MALFORMED"))
      throw misplaced;
    if (err instanceof ConfvaultError) throw err;
    throw describeError(String((err as Error).message).replace(/^\d+:\d+: /, ""));
  }
  if (rootName === "") throw xmlMalformed(where().line, where().column, "the document has no root element");
  const scan: XmlScan = {
    encoding: decoded.encoding,
    bom: decoded.bomLength > 0,
    rootName,
    sections,
    matches,
  };
  if (doctype !== undefined) scan.doctype = doctype;
  return { scan, decoded, entities };
}

const LESS = 60;

/**
 * Index of the "<" that starts the tag the parser just read. `guess` is right unless odd
 * whitespace sits inside the tag ("<a\r\n>", "</a >"); then walk back a few characters.
 * (String.prototype.lastIndexOf costs far more per call on a large string.)
 */
function markupStart(text: string, guess: number): number {
  if (text.charCodeAt(guess) === LESS) return guess;
  let i = Math.min(guess, text.length - 1);
  while (i > 0 && text.charCodeAt(i) !== LESS) i--;
  return i;
}

function mismatchedEndTag(text: string, endTagStart: number, open: Frame) {
  const closing = /^<\/([^\s>]*)/.exec(text.slice(endTagStart, endTagStart + 200))?.[1] ?? "";
  const at = lineColumnAt(text, endTagStart);
  const opened = lineColumnAt(text, open.charStart);
  return xmlMalformed(
    at.line,
    at.column,
    `end tag </${closing}> does not match start tag <${open.name}> (line ${opened.line}, column ${opened.column})`,
  );
}

function copyAttributes(attributes: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in attributes) {
    // A plain object keeps callers' deepEqual happy; "__proto__" must become an own property.
    if (name === "__proto__") {
      Object.defineProperty(out, name, {
        value: attributes[name],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[name] = attributes[name];
  }
  return out;
}
