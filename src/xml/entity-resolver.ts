import { type EntityDeclaration, isXmlChar } from "./parse-doctype.ts";
import { xmlEntityLimit, xmlExternalEntity, xmlMalformed } from "./xml-errors.ts";

export const DEFAULT_MAX_ENTITY_EXPANSION = 1024 * 1024;
const MAX_NESTING = 64;
const PREDEFINED: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
const REFERENCE = /&(#x[0-9a-fA-F]+|#[0-9]+|[^\s&;<>"'#]+)?(;?)/g;

export interface EntityResolver {
  /** The text a reference to `name` in the document stands for; counts toward the document's limit. */
  reference(name: string): string;
}

/**
 * Resolves declared internal entities with a budget. Expanded sizes are computed from the
 * declarations (memoised, never by expanding), so a billion-laughs or quadratic-blowup
 * document is refused before any large string exists. Every reference in the document adds
 * its expanded size to a running total, which is also held to `limit`.
 */
export function createEntityResolver(
  declarations: ReadonlyMap<string, EntityDeclaration>,
  limit: number,
  where: () => { line: number; column: number },
): EntityResolver {
  const sizes = new Map<string, number>();
  const expansions = new Map<string, string>();
  const inProgress = new Set<string>();
  let total = 0;

  const tooBig = (what: string) => {
    const { line, column } = where();
    return xmlEntityLimit(line, column, `${what} would expand beyond ${limit} characters`);
  };
  const malformed = (reason: string) => {
    const { line, column } = where();
    return xmlMalformed(line, column, reason);
  };

  const declared = (name: string): string => {
    const declaration = declarations.get(name);
    if (!declaration) throw malformed(`undefined entity &${name};`);
    if (declaration.kind === "external") {
      const { line, column } = where();
      throw xmlExternalEntity(line, column, `&${name};`);
    }
    return declaration.text;
  };

  const sizeOf = (name: string, depth: number, top: string): number => {
    const known = sizes.get(name);
    if (known !== undefined) return known;
    if (inProgress.has(name)) throw malformed(`entity &${name}; refers to itself`);
    if (depth > MAX_NESTING) throw tooBig(`entity &${top}; (nested more than ${MAX_NESTING} levels)`);
    const text = declared(name);
    inProgress.add(name);
    let size = 0;
    let literalEnd = 0;
    for (const m of text.matchAll(REFERENCE)) {
      const [whole, body, semi] = m;
      if (!body || !semi) throw malformed(`bare "&" in the value of entity &${name};`);
      size += m.index - literalEnd;
      literalEnd = m.index + whole.length;
      if (body[0] === "#") {
        const code = charReference(body);
        if (!isXmlChar(code)) throw malformed(`invalid character reference &${body}; in entity &${name};`);
        size += code > 0xffff ? 2 : 1;
      } else size += Object.hasOwn(PREDEFINED, body) ? 1 : sizeOf(body, depth + 1, top);
      if (size > limit) throw tooBig(`entity &${top};`);
    }
    size += text.length - literalEnd;
    inProgress.delete(name);
    if (size > limit) throw tooBig(`entity &${top};`);
    sizes.set(name, size);
    return size;
  };

  const expand = (name: string): string => {
    const known = expansions.get(name);
    if (known !== undefined) return known;
    const expanded = declared(name).replace(REFERENCE, (_whole, body: string) => {
      if (body[0] === "#") return String.fromCodePoint(charReference(body));
      return Object.hasOwn(PREDEFINED, body) ? PREDEFINED[body] : expand(body);
    });
    expansions.set(name, expanded);
    return expanded;
  };

  return {
    reference(name) {
      total += sizeOf(name, 0, name);
      if (total > limit) throw tooBig("the document's entity references");
      return expand(name);
    },
  };
}

function charReference(body: string): number {
  return body[1] === "x" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
}
