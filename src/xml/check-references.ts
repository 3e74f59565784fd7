import type { ConfvaultError } from "../errors/confvault-error.ts";
import { isXmlChar } from "./parse-doctype.ts";
import { lineColumnAt, xmlMalformed } from "./xml-errors.ts";

/*
 * saxes reads everything after a "&" as an entity name up to the next ";" (or the end), so a
 * bare "&" ("a & b", name="Enewetak & Ujelang") or an unterminated reference ("&amp </b>")
 * surfaces far away as "element never closed" or "disallowed character in entity name". When
 * saxes fails, this pass walks the document up to where saxes stopped, in the contexts where
 * references count (text and attribute values, not comments, CDATA, PIs or the DOCTYPE), and
 * reports the first reference error and any "<" in an attribute value at its own place: the
 * line xmllint and expat report. It only runs on documents that are already malformed.
 */

const NAME_START =
  ":A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D" +
  "\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const ENTITY_REF = new RegExp(`&([${NAME_START}][${NAME_CHAR}]*)(;?)`, "uy");
const CHAR_REF = /&#(?:x([0-9a-fA-F]+)|([0-9]+))?(;?)/y;
const PREDEFINED = new Set(["lt", "gt", "amp", "apos", "quot"]);

const FIX_AMP =
  'Write a literal "&" as &amp; (in text and in attribute values alike), or end the reference with ";".';

/**
 * The first malformed reference (or "<" in an attribute value) before `limit`, as an
 * XML_MALFORMED error, or null. `declared`: general entities of the DOCTYPE's internal subset.
 */
export function firstReferenceError(
  text: string,
  limit: number,
  declared: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): ConfvaultError | null {
  const end = Math.min(limit, text.length);
  let i = 0;
  while (i < end) {
    const lt = text.indexOf("<", i);
    const stop = lt < 0 || lt > end ? end : lt;
    // Character data [i, stop).
    for (let amp = text.indexOf("&", i); amp !== -1 && amp < stop; amp = text.indexOf("&", amp + 1)) {
      const bad = checkReference(text, amp, declared, "text");
      if (bad) return bad;
    }
    if (stop === end) return null;
    const next = skipMarkup(text, lt, end, declared);
    if (typeof next !== "number") return next;
    i = next;
  }
  return null;
}

/** Index past the markup at `lt`, or the error found in a start tag's attribute values. */
function skipMarkup(
  text: string,
  lt: number,
  end: number,
  declared: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): number | ConfvaultError {
  const past = (search: string, from: number) => {
    const at = text.indexOf(search, from);
    return at < 0 ? end : at + search.length;
  };
  if (text.startsWith("<!--", lt)) return past("-->", lt + 4);
  if (text.startsWith("<![CDATA[", lt)) return past("]]>", lt + 9);
  if (text.startsWith("<?", lt)) return past("?>", lt + 2);
  if (text.startsWith("<!", lt)) return doctypeEnd(text, lt, end);
  if (text.startsWith("</", lt)) return past(">", lt + 2);
  // A start tag: quoted values may hold ">" but no "<", and their references must be sound.
  let j = lt + 1;
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c === 62 /* > */) return j + 1;
    if (c === 60 /* < */) return j; // a new tag: saxes reports the broken one itself
    if (c === 34 || c === 39) {
      const close = text.indexOf(c === 34 ? '"' : "'", j + 1);
      const valueEnd = close < 0 || close > end ? end : close;
      for (let k = j + 1; k < valueEnd; k++) {
        const v = text.charCodeAt(k);
        if (v === 60) {
          const at = lineColumnAt(text, k);
          return xmlMalformed(
            at.line,
            at.column,
            '"<" is not allowed in an attribute value',
            "Write it as &lt; inside the quotes, or close the attribute's quote before the next tag.",
          );
        }
        if (v === 38) {
          const bad = checkReference(text, k, declared, "attribute");
          if (bad) return bad;
        }
      }
      j = valueEnd + 1;
    } else j++;
  }
  return end;
}

/** Index past a DOCTYPE (or other "<!" declaration) with its internal subset, quotes and comments. */
function doctypeEnd(text: string, lt: number, end: number): number {
  let depth = 0;
  let j = lt + 2;
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c === 34 || c === 39) {
      const close = text.indexOf(c === 34 ? '"' : "'", j + 1);
      if (close < 0) return end;
      j = close + 1;
    } else if (text.startsWith("<!--", j)) {
      const close = text.indexOf("-->", j + 4);
      if (close < 0) return end;
      j = close + 3;
    } else {
      if (c === 91 /* [ */) depth++;
      else if (c === 93 /* ] */) depth--;
      else if (c === 62 /* > */ && depth <= 0) return j + 1;
      j++;
    }
  }
  return end;
}

/** The error for the reference starting at `amp`, or null when it is well-formed and known. */
function checkReference(
  text: string,
  amp: number,
  declared: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  where: "text" | "attribute",
): ConfvaultError | null {
  const at = () => lineColumnAt(text, amp);
  const fail = (reason: string, hint = FIX_AMP) => {
    const { line, column } = at();
    return xmlMalformed(line, column, reason, hint);
  };
  if (text.charCodeAt(amp + 1) === 35 /* # */) {
    CHAR_REF.lastIndex = amp;
    const m = CHAR_REF.exec(text)!;
    const semi = text.indexOf(";", amp);
    const written =
      semi > amp && semi - amp < 12 ? text.slice(amp, semi + 1) : text.slice(amp, CHAR_REF.lastIndex);
    if ((m[1] === undefined && m[2] === undefined) || m[3] !== ";") {
      return fail(`malformed character reference "${written}" (expected &#digits; or &#xhex;)`);
    }
    const code = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number.parseInt(m[2], 10);
    if (!isXmlChar(code)) {
      return fail(
        `character reference ${written} is not an XML character`,
        "Remove it: XML 1.0 cannot hold that character, not even as a reference.",
      );
    }
    return null;
  }
  ENTITY_REF.lastIndex = amp;
  const m = ENTITY_REF.exec(text);
  const inside = where === "attribute" ? "in an attribute value" : "in text";
  if (m === null) return fail(`bare "&" ${inside} (not the start of a reference)`);
  const name = m[1];
  if (m[2] !== ";") return fail(`reference "&${name}" is not terminated by ";"`);
  if (PREDEFINED.has(name) || declared.has(name)) return null;
  return fail(
    `undefined entity &${name};`,
    `XML knows only &lt; &gt; &amp; &apos; &quot; unless the DOCTYPE declares more: write a character reference (for example &#160; for &nbsp;), or &amp;${name}; for the literal text.`,
  );
}
