import { xmlExternalEntity, xmlMalformed } from "./xml-errors.ts";

export type EntityDeclaration =
  | {
      kind: "internal" /** Replacement text: character references decoded, entity references kept. */;
      text: string;
    }
  | { kind: "external"; systemId: string; publicId?: string; notation?: string };

export interface Doctype {
  rootName: string;
  /** General entities in declaration order; the first declaration of a name wins, as XML says. */
  entities: Map<string, EntityDeclaration>;
}

const HEAD =
  /^\s*([^\s[>]+)(?:\s+(?:SYSTEM\s*("[^"]*"|'[^']*')|PUBLIC\s*("[^"]*"|'[^']*')\s*("[^"]*"|'[^']*')))?\s*(?:\[([\s\S]*)\])?\s*$/;
const SPACE = /\s+/y;
const COMMENT = /<!--[\s\S]*?-->/y;
const PI = /<\?[\s\S]*?\?>/y;
const ENTITY =
  /<!ENTITY\s+(?:(%)\s+)?([^\s%&;<>"']+)\s+(?:("[^"]*"|'[^']*')|(?:SYSTEM\s*("[^"]*"|'[^']*')|PUBLIC\s*("[^"]*"|'[^']*')\s*("[^"]*"|'[^']*'))(?:\s+NDATA\s+([^\s>]+))?)\s*>/y;
const OTHER_DECLARATION = /<!(?:ELEMENT|ATTLIST|NOTATION)\s(?:[^"'>]|"[^"]*"|'[^']*')*>/y;
const PE_REFERENCE = /%([^\s%&;<>"']+);/y;
const PREDEFINED = new Set(["lt", "gt", "amp", "apos", "quot"]);

/**
 * Reads the internal subset of a DOCTYPE (saxes passes it through unread) for its general
 * entity declarations. Nothing is fetched: external entities are only recorded, so a
 * reference to one can be refused. `at` locates the DOCTYPE for error messages.
 */
export function parseDoctype(text: string, at: { line: number; column: number }): Doctype {
  const fail = (reason: string) => xmlMalformed(at.line, at.column, `DOCTYPE: ${reason}`);
  const head = HEAD.exec(text);
  if (!head) throw fail("cannot read the declaration");
  const entities = new Map<string, EntityDeclaration>();
  const parameterEntities = new Map<string, boolean>();
  const subset = head[5] ?? "";
  let i = 0;
  while (i < subset.length) {
    const entity = matchAt(ENTITY, subset, i);
    if (entity) {
      i += entity[0].length;
      const [, percent, name, literal, system, publicId, publicSystem, notation] = entity;
      if (percent) {
        if (!parameterEntities.has(name)) parameterEntities.set(name, literal !== undefined);
        continue;
      }
      if (entities.has(name) || PREDEFINED.has(name)) continue;
      if (literal !== undefined) {
        entities.set(name, { kind: "internal", text: replacementText(unquote(literal), fail) });
      } else {
        entities.set(name, {
          kind: "external",
          systemId: unquote(system ?? publicSystem ?? ""),
          ...(publicId ? { publicId: unquote(publicId) } : {}),
          ...(notation ? { notation } : {}),
        });
      }
      continue;
    }
    const other = matchAt(SPACE, subset, i) ?? matchAt(COMMENT, subset, i) ?? matchAt(PI, subset, i);
    const declaration = other ?? matchAt(OTHER_DECLARATION, subset, i);
    if (declaration) {
      i += declaration[0].length;
      continue;
    }
    const reference = matchAt(PE_REFERENCE, subset, i);
    if (reference) {
      if (parameterEntities.get(reference[1]) !== true) {
        throw xmlExternalEntity(at.line, at.column, `%${reference[1]};`);
      }
      throw fail(`parameter entity reference %${reference[1]}; is not supported`);
    }
    throw fail(`unexpected text in the internal subset near "${subset.slice(i, i + 20)}"`);
  }
  return { rootName: head[1], entities };
}

function matchAt(pattern: RegExp, text: string, index: number): RegExpExecArray | null {
  pattern.lastIndex = index;
  return pattern.exec(text);
}

function unquote(literal: string): string {
  return literal.slice(1, -1);
}

/** Decodes character references in an entity value; general entity references stay for use time. */
function replacementText(value: string, fail: (reason: string) => Error): string {
  if (value.includes("%"))
    throw fail("parameter entity references inside an entity value are not allowed in the internal subset");
  return value.replace(
    /&(#x[0-9a-fA-F]+|#[0-9]+|[^\s&;<>"'#]+)?(;?)/g,
    (whole, body: string | undefined, semi: string) => {
      if (!body || !semi) throw fail(`bare "&" in entity value "${value.slice(0, 40)}"`);
      if (body[0] !== "#") return whole;
      const code = body[1] === "x" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (!isXmlChar(code)) throw fail(`invalid character reference &${body};`);
      return String.fromCodePoint(code);
    },
  );
}

export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}
