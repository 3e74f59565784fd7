import { Parser } from "xml2js";
import { createEntityResolver, DEFAULT_MAX_ENTITY_EXPANSION } from "./entity-resolver.ts";
import { scanDocument } from "./scan-document.ts";

/** One element of a document, built from xml2js's order-preserving object model. */
export interface XmlNode {
  name: string;
  attributes: ReadonlyMap<string, string>;
  /** All character data directly inside the element (CDATA included, entities expanded). */
  text: string;
  children: XmlNode[];
}

// Keys no XML name can collide with ("_" and "$" are legal element names; "#" is not).
const ATTRS = "#attrs";
const TEXT = "#text";
const CHILDREN = "#children";
const NAME = "#name";
const ATTRIBUTE_PROTO = Object.freeze(
  Object.create(null, { hasOwnProperty: { value: Object.prototype.hasOwnProperty } }),
);

/**
 * Parses a document for the semantic diff (read side only, never serialised back). It is
 * scanned first, so malformed or hostile input fails with the same errors as `scanXml`.
 * sax does not read DOCTYPE entity declarations either: the ones the scan found are handed
 * to sax as its entity table, resolved through the same size-limited resolver.
 */
export function parseXmlTree(bytes: Uint8Array, maxEntityExpansion = DEFAULT_MAX_ENTITY_EXPANSION): XmlNode {
  const { decoded, entities } = scanDocument(bytes, { maxEntityExpansion });
  const parser = new Parser({
    explicitChildren: true,
    preserveChildrenOrder: true,
    explicitCharkey: true,
    explicitRoot: true,
    attrkey: ATTRS,
    charkey: TEXT,
    childkey: CHILDREN,
  });
  const sax = (
    parser as unknown as {
      saxParser: { ENTITIES: Record<string, unknown>; onopentagstart: (tag: { attributes: object }) => void };
    }
  ).saxParser;
  // sax collects attributes with plain assignment into {}, where "__proto__" would vanish (or
  // rewire the object): give each tag a record whose chain has no __proto__ accessor.
  sax.onopentagstart = (tag) => {
    tag.attributes = Object.create(ATTRIBUTE_PROTO);
  };
  const table: Record<string, unknown> = Object.assign(Object.create(null), {
    lt: "<",
    gt: ">",
    amp: "&",
    apos: "'",
    quot: '"',
  });
  // sax looks each reference up twice (test, then use), hence twice the scan's budget.
  const resolver = createEntityResolver(entities, 2 * maxEntityExpansion, () => ({ line: 0, column: 0 }));
  for (const name of entities.keys()) {
    // sax drops falsy values as unknown entities: an empty expansion travels as a String object.
    Object.defineProperty(table, name, {
      get: () => resolver.reference(name) || new String(""),
      enumerable: true,
    });
  }
  sax.ENTITIES = table;
  let result: unknown;
  let failure: unknown;
  // XML normalises line ends before parsing; sax does not, and CRLF would show as a text change.
  parser.parseString(decoded.text.replace(/\r\n?/g, "\n"), (err: unknown, value: unknown) => {
    failure = err;
    result = value;
  });
  if (failure) throw failure;
  const root = result as Record<string, unknown>;
  const rootName = Object.keys(root)[0];
  return toNode(root[rootName], rootName);
}

function toNode(value: unknown, fallbackName: string): XmlNode {
  if (value === null || typeof value !== "object") {
    return {
      name: fallbackName,
      attributes: new Map(),
      text: typeof value === "string" ? value : "",
      children: [],
    };
  }
  const obj = value as Record<string, unknown>;
  const own = (key: string) => (Object.hasOwn(obj, key) ? obj[key] : undefined);
  const name = typeof own(NAME) === "string" ? (own(NAME) as string) : fallbackName;
  const attributes = new Map<string, string>();
  const attrs = own(ATTRS);
  if (attrs && typeof attrs === "object") {
    for (const key of Object.keys(attrs))
      attributes.set(key, String((attrs as Record<string, unknown>)[key]));
  }
  const text = typeof own(TEXT) === "string" ? (own(TEXT) as string) : "";
  const rawChildren = own(CHILDREN);
  const children = Array.isArray(rawChildren) ? rawChildren.map((child) => toNode(child, "")) : [];
  return { name, attributes, text, children };
}
