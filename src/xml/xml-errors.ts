import { ConfvaultError } from "../errors/confvault-error.ts";

export const MALFORMED_HINT = "Open config.xml at that line and column, fix the XML there, then try again.";

export function xmlMalformed(
  line: number,
  column: number,
  reason: string,
  hint = MALFORMED_HINT,
): ConfvaultError {
  return new ConfvaultError("XML_MALFORMED", `config.xml:${line}:${column}: ${reason}`, hint, {
    line,
    column,
    reason,
  });
}

export function xmlEntityLimit(line: number, column: number, reason: string): ConfvaultError {
  return new ConfvaultError(
    "XML_ENTITY_LIMIT",
    `config.xml:${line}:${column}: ${reason}`,
    "The document's entity declarations would expand far beyond a normal config (an entity-expansion attack?). Remove the DOCTYPE entities or inline their text.",
    { line, column, reason },
  );
}

/** `reference` as written: "&name;" or "%name;". */
export function xmlExternalEntity(line: number, column: number, reference: string): ConfvaultError {
  const reason = `reference to external entity "${reference}" refused (external entities are never fetched)`;
  return new ConfvaultError(
    "XML_EXTERNAL_ENTITY",
    `config.xml:${line}:${column}: ${reason}`,
    "Replace the entity reference with the text it should stand for, or remove the SYSTEM/PUBLIC entity declaration.",
    { line, column, reason, entity: reference },
  );
}

/** 1-based line and column (in code points) of a string index; only used on error paths. */
export function lineColumnAt(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) column++;
  }
  return { line, column };
}
