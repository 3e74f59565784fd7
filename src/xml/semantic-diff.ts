import { diffLines } from "diff";
import { DEFAULT_MAX_ENTITY_EXPANSION } from "./entity-resolver.ts";
import { parseXmlTree, type XmlNode } from "./parse-xml-tree.ts";
import { compilePathMatcher } from "./path-matcher.ts";
import type { DiffEntry } from "./types.ts";

export interface SemanticDiffOptions {
  /** Attributes that identify repeated siblings (profile idAttributes), in order of preference. */
  idAttributes: readonly string[];
  /** Elements that change on every save (profile volatilePaths): hidden unless `showVolatile`. */
  volatilePaths: readonly string[];
  showVolatile?: boolean;
  /** Text matching this (a sealed-secret marker) is never printed: the entry says "secret changed". */
  secretMarker?: RegExp;
  /** Elements whose text is a secret (profile secretPaths), for diffs of files not yet sealed. */
  secretPaths?: readonly string[];
  /** Sections each node keeps for itself (profile localSections): their entries carry `local: true`. */
  localSections?: readonly string[];
  maxEntityExpansion?: number;
}

/**
 * A `DiffEntry` with what a reviewer needs to read it (all fields optional and additive, so
 * the JSON `entries` shape stays what it was):
 * - `summary` (added / removed): the element's key fields, `enabled=TRUE, comment="…", ip=…`
 *   for an addition, its comment/name/id for a removal; secret values show as `(secret)`.
 * - `nowBefore` / `nowAfter` (moves): the key of the same-name sibling the element now
 *   precedes (first-match rule lists), or, when it is now last, the one it follows.
 * - `local`: the element lies in a node-local section (kept per node by cluster sync).
 */
export interface SemanticDiffEntry extends DiffEntry {
  summary?: string;
  nowBefore?: string;
  nowBeforeLabel?: string;
  nowAfter?: string;
  nowAfterLabel?: string;
  local?: true;
}

/** What the tree comparison saw but left out of `entries`. */
export interface DiffStats {
  /** Byte-level changes with no policy meaning: re-indentation, attribute order, quoting/entity spelling. */
  formattingChanges: number;
  /** Which kinds of formatting change were seen ("whitespace", "attribute order", "markup"). */
  formattingKinds: string[];
  /** Volatile fields (profile volatilePaths) that changed and were hidden. */
  volatileChanges: number;
}

export interface SemanticDiffReport extends DiffStats {
  entries: SemanticDiffEntry[];
}

interface Keyed {
  key: string;
  node: XmlNode;
  /** 1-based position among same-name siblings. */
  position: number;
  byId: boolean;
}

/**
 * Policy-level differences between two versions of a config: repeated siblings are matched
 * by their id attribute (else by position among same-name siblings), so inserting a rule
 * reads as one addition and reordering as moves, not as a cascade of changed fields.
 */
export function semanticDiff(
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
  options: SemanticDiffOptions,
): SemanticDiffEntry[] {
  return semanticDiffReport(oldBytes, newBytes, options).entries;
}

/** `semanticDiff` plus the counts of what it does not list (formatting-only and volatile changes). */
export function semanticDiffReport(
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
  options: SemanticDiffOptions,
): SemanticDiffReport {
  const limit = options.maxEntityExpansion ?? DEFAULT_MAX_ENTITY_EXPANSION;
  const oldRoot = parseXmlTree(oldBytes, limit);
  const newRoot = parseXmlTree(newBytes, limit);
  const isVolatile = options.showVolatile ? () => false : byPath(compilePathMatcher(options.volatilePaths));
  const isSecretPath = byPath(compilePathMatcher(options.secretPaths ?? []));
  const marker = options.secretMarker
    ? new RegExp(options.secretMarker.source, options.secretMarker.flags.replace(/[gy]/g, ""))
    : undefined;
  const isSecret = (plain: string, ...values: (string | undefined)[]) =>
    isSecretPath(plain) || (marker !== undefined && values.some((v) => v !== undefined && marker.test(v)));
  const isLocalSection = byPath(compilePathMatcher(options.localSections ?? []));
  const localCache = new Map<string, boolean>();
  const isLocal = (plain: string): boolean => {
    let known = localCache.get(plain);
    if (known === undefined) {
      const cut = plain.lastIndexOf("/");
      known = plain !== "" && (isLocalSection(plain) || (cut > 0 && isLocal(plain.slice(0, cut))));
      localCache.set(plain, known);
    }
    return known;
  };
  const entries: SemanticDiffEntry[] = [];
  const push = (plain: string, entry: SemanticDiffEntry) => {
    entries.push(isLocal(plain) ? { ...entry, local: true } : entry);
  };
  const formattingKinds = new Set<string>();
  let formattingChanges = 0;
  let volatileChanges = 0;
  const formatting = (kind: string) => {
    formattingChanges++;
    formattingKinds.add(kind);
  };
  const describe = (node: XmlNode, plain: string) => summarize(node, plain, isSecret, options.idAttributes);
  const labelFor = (node: XmlNode, plain: string) => labelOf(node, plain, isSecret);

  const compareValue = (
    path: string,
    plain: string,
    kind: "changed" | "attribute-changed",
    a?: string,
    b?: string,
  ) => {
    if (a === b) return;
    if (isSecret(plain, a, b)) push(plain, { kind: "secret-changed", path });
    else
      push(plain, {
        kind,
        path,
        ...(a === undefined ? {} : { old: a }),
        ...(b === undefined ? {} : { new: b }),
      });
  };

  const compare = (a: XmlNode, b: XmlNode, path: string, plain: string) => {
    const names = new Set([...a.attributes.keys(), ...b.attributes.keys()]);
    for (const name of names) {
      const attrPath = path === "" ? `@${name}` : `${path}/@${name}`;
      compareValue(attrPath, plain, "attribute-changed", a.attributes.get(name), b.attributes.get(name));
    }
    if (sameAttributesReordered(a, b)) formatting("attribute order");
    const leaf = a.children.length === 0 && b.children.length === 0;
    compareValue(path, plain, "changed", textOf(a, leaf), textOf(b, leaf));
    compareChildren(a.children, b.children, path, plain);
  };

  const compareChildren = (oldChildren: XmlNode[], newChildren: XmlNode[], path: string, plain: string) => {
    const [oldKeyed, newKeyed] = keySiblings(oldChildren, newChildren, options.idAttributes);
    const oldByKey = new Map(oldKeyed.map((k) => [k.key, k]));
    const newByKey = new Map(newKeyed.map((k) => [k.key, k]));
    const childPaths = (k: Keyed) => ({
      path: path === "" ? k.key : `${path}/${k.key}`,
      plain: plain === "" ? k.node.name : `${plain}/${k.node.name}`,
    });
    for (const k of oldKeyed) {
      const child = childPaths(k);
      if (newByKey.has(k.key)) continue;
      if (isVolatile(child.plain)) volatileChanges++;
      else
        push(child.plain, {
          kind: "removed",
          path: child.path,
          ...summaryField(removalLabel(k, child.plain, describe, labelFor)),
        });
    }
    const moved = movedKeys(oldKeyed, newKeyed, oldByKey);
    newKeyed.forEach((k, index) => {
      const child = childPaths(k);
      const before = oldByKey.get(k.key);
      if (isVolatile(child.plain)) {
        if (!before || canonical(before.node) !== canonical(k.node)) volatileChanges++;
        return;
      }
      if (!before) {
        push(child.plain, {
          kind: "added",
          path: child.path,
          ...summaryField(describe(k.node, child.plain)),
        });
        return;
      }
      if (moved.has(k.key)) {
        push(child.plain, {
          kind: "moved",
          path: child.path,
          from: before.position,
          to: k.position,
          ...neighbour(newKeyed, index, child.plain, labelFor),
        });
      }
      compare(before.node, k.node, child.path, child.plain);
    });
  };

  const report = (): SemanticDiffReport => {
    if (sameBytes(oldBytes, newBytes))
      return { entries, formattingChanges: 0, formattingKinds: [], volatileChanges };
    const whitespace = whitespaceOnlyHunks(oldBytes, newBytes);
    for (let i = 0; i < whitespace; i++) formatting("whitespace");
    // Bytes differ, yet nothing above saw it: quoting, entity or CDATA spelling, `<a/>` for `<a></a>`.
    if (entries.length === 0 && formattingChanges === 0 && volatileChanges === 0) formatting("markup");
    return { entries, formattingChanges, formattingKinds: [...formattingKinds], volatileChanges };
  };
  if (oldRoot.name !== newRoot.name) {
    entries.push({ kind: "changed", path: "", old: `<${oldRoot.name}>`, new: `<${newRoot.name}>` });
    return report();
  }
  compare(oldRoot, newRoot, "", "");
  return report();
}

const MAX_FIELDS = 12;
const MAX_FIELD_VALUE = 80;
/** Children that say what an element is, in order of preference (SafeSquid, OPNsense, pfSense). */
const LABEL_FIELDS = ["comment", "name", "descr", "description", "title", "label", "hostname"];

type SecretTest = (plain: string, ...values: (string | undefined)[]) => boolean;

function summaryField(summary: string): { summary?: string } {
  return summary === "" ? {} : { summary };
}

/** `enabled=TRUE, comment="block uploads", ip=10.1.0.0/24`: attributes, then every child. */
function summarize(
  node: XmlNode,
  plain: string,
  isSecret: SecretTest,
  idAttributes: readonly string[],
): string {
  if (node.children.length === 0 && node.attributes.size === 0)
    return node.text === "" ? "" : isSecret(plain, node.text) ? "(secret)" : shown(node.text);
  const fields: string[] = [];
  const keyedBy = idAttributes.find((name) => node.attributes.has(name));
  for (const [name, value] of node.attributes) {
    if (name === keyedBy) continue; // already in the path
    fields.push(`@${name}=${isSecret(plain, value) ? "(secret)" : shown(value)}`);
  }
  for (const child of node.children) {
    const childPlain = plain === "" ? child.name : `${plain}/${child.name}`;
    if (child.children.length > 0) fields.push(`${child.name}(${child.children.length} fields)`);
    else fields.push(`${child.name}=${isSecret(childPlain, child.text) ? "(secret)" : shown(child.text)}`);
  }
  if (node.children.length === 0 && node.text.trim() !== "")
    fields.push(isSecret(plain, node.text) ? "(secret)" : shown(node.text));
  const more = fields.length - MAX_FIELDS;
  return more > 0 ? `${fields.slice(0, MAX_FIELDS).join(", ")}, … ${more} more` : fields.join(", ");
}

/** What a removed element was: its comment/name (and id when the path keys it by position). */
type Describe = (node: XmlNode, plain: string) => string | undefined;

function removalLabel(k: Keyed, plain: string, describe: Describe, labelFor: Describe): string {
  const label = labelFor(k.node, plain);
  if (label !== undefined) return label;
  const summary = describe(k.node, plain) ?? "";
  const fields = summary.split(", ");
  return fields.length > 3 ? `${fields.slice(0, 3).join(", ")}, …` : summary;
}

function labelOf(node: XmlNode, plain: string, isSecret: SecretTest): string | undefined {
  for (const name of LABEL_FIELDS) {
    const child = node.children.find(
      (c) => c.name === name && c.children.length === 0 && c.text.trim() !== "",
    );
    if (child && !isSecret(`${plain}/${name}`, child.text)) return `${name}=${shown(child.text)}`;
    const attr = node.attributes.get(name);
    if (attr !== undefined && attr !== "" && !isSecret(plain, attr)) return `@${name}=${shown(attr)}`;
  }
  return undefined;
}

/** The same-name sibling a moved element now precedes, or (when it is now last) follows. */
function neighbour(
  keyed: Keyed[],
  index: number,
  plain: string,
  labelFor: Describe,
): Pick<SemanticDiffEntry, "nowBefore" | "nowBeforeLabel" | "nowAfter" | "nowAfterLabel"> {
  const name = keyed[index].node.name;
  const next = keyed.slice(index + 1).find((k) => k.node.name === name);
  const label = (k: Keyed) => {
    const l = labelFor(k.node, plain);
    return l === undefined ? undefined : l.slice(l.indexOf("=") + 1);
  };
  if (next) {
    const l = label(next);
    return { nowBefore: next.key, ...(l === undefined ? {} : { nowBeforeLabel: l }) };
  }
  const previous = keyed
    .slice(0, index)
    .reverse()
    .find((k) => k.node.name === name);
  if (!previous) return {};
  const l = label(previous);
  return { nowAfter: previous.key, ...(l === undefined ? {} : { nowAfterLabel: l }) };
}

/** A value as a field shows it: bare when it is one plain token, else quoted; long ones cut. */
function shown(value: string): string {
  const cut = value.length > MAX_FIELD_VALUE ? `${value.slice(0, MAX_FIELD_VALUE)}…` : value;
  return /^[\w./:@+*-]+$/.test(cut) ? cut : JSON.stringify(cut);
}

function sameAttributesReordered(a: XmlNode, b: XmlNode): boolean {
  if (a.attributes.size !== b.attributes.size || a.attributes.size < 2) return false;
  const namesA = [...a.attributes.keys()];
  const namesB = [...b.attributes.keys()];
  if (namesA.every((n, i) => n === namesB[i])) return false;
  return namesA.every((n) => b.attributes.has(n));
}

/** A node's content with formatting taken out, to tell a changed volatile field from an untouched one. */
function canonical(node: XmlNode): string {
  const attrs = [...node.attributes].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const leaf = node.children.length === 0;
  return JSON.stringify([node.name, attrs, textOf(node, leaf), node.children.map(canonical)]);
}

/** Past this many changed lines the whitespace count is skipped (a rewrite, not a re-indent). */
const MAX_LINE_EDITS = 2000;
/** …or when it takes longer than this: the count is a courtesy, the diff must stay fast. */
const MAX_LINE_DIFF_MS = 250;

/**
 * Changed blocks of lines that differ only in indentation, line ends, blank lines or spacing
 * inside tags (a re-indented rule, a CRLF conversion): each counts as one formatting change.
 * Text between tags on a line is compared as written, so a changed value never counts here.
 */
function whitespaceOnlyHunks(oldBytes: Uint8Array, newBytes: Uint8Array): number {
  // latin1 maps every byte to one character: equality of lines is equality of bytes.
  const decoder = new TextDecoder("latin1");
  const changes = diffLines(decoder.decode(oldBytes), decoder.decode(newBytes), {
    maxEditLength: MAX_LINE_EDITS,
    timeout: MAX_LINE_DIFF_MS,
  });
  if (changes === undefined) return 0;
  let count = 0;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i];
    if (!change.added && !change.removed) continue;
    const next = changes[i + 1];
    if (change.removed && next?.added) {
      if (layout(change.value) === layout(next.value)) count++;
      i++;
    } else if (change.value.trim() === "") count++;
  }
  return count;
}

/** A block of lines without its layout: no blank lines, no indentation, one space between attributes. */
function layout(text: string): string {
  return text
    .split(/\r?\n|\r/)
    .map((line) =>
      line.trim().replace(/<[^>]*>/g, (tag) => tag.replace(/\s+/g, " ").replace(/\s*(\/?>)$/, "$1")),
    )
    .filter((line) => line !== "")
    .join("\n");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function byPath(matcher: (path: string, name: string) => boolean): (path: string) => boolean {
  return (path) => matcher(path, path.slice(path.lastIndexOf("/") + 1));
}

/** Leaves compare their exact text; parents only their non-whitespace text (indentation is not policy). */
function textOf(node: XmlNode, leaf: boolean): string {
  return leaf ? node.text : node.text.replace(/\s+/g, " ").trim();
}

function keySiblings(a: XmlNode[], b: XmlNode[], idAttributes: readonly string[]): [Keyed[], Keyed[]] {
  const idOf = (node: XmlNode) => {
    for (const attr of idAttributes) {
      const value = node.attributes.get(attr);
      if (value !== undefined) return `${attr}=${value}`;
    }
    return undefined;
  };
  const count = (nodes: XmlNode[]) => {
    const counts = new Map<string, number>();
    for (const n of nodes) if (idOf(n) === undefined) counts.set(n.name, (counts.get(n.name) ?? 0) + 1);
    return counts;
  };
  const countA = count(a);
  const countB = count(b);
  const single = (name: string) => (countA.get(name) ?? 0) <= 1 && (countB.get(name) ?? 0) <= 1;
  const keyAll = (nodes: XmlNode[]): Keyed[] => {
    const positions = new Map<string, number>();
    const plainPositions = new Map<string, number>();
    const seen = new Map<string, number>();
    return nodes.map((node) => {
      const position = (positions.get(node.name) ?? 0) + 1;
      positions.set(node.name, position);
      const id = idOf(node);
      let key: string;
      if (id !== undefined) key = `${node.name}[${id}]`;
      else {
        const n = (plainPositions.get(node.name) ?? 0) + 1;
        plainPositions.set(node.name, n);
        key = single(node.name) ? node.name : `${node.name}[${n}]`;
      }
      // Two siblings with the same id (a hand edit gone wrong) still get distinct keys.
      const dup = (seen.get(key) ?? 0) + 1;
      seen.set(key, dup);
      if (dup > 1) key = `${key}[${dup}]`;
      return { key, node, position, byId: id !== undefined };
    });
  };
  return [keyAll(a), keyAll(b)];
}

/** Id-keyed siblings outside the longest run kept in the same relative order. */
function movedKeys(oldKeyed: Keyed[], newKeyed: Keyed[], oldByKey: Map<string, Keyed>): Set<string> {
  const oldIndex = new Map(oldKeyed.map((k, i) => [k.key, i]));
  const common = newKeyed.filter((k) => k.byId && oldByKey.get(k.key)?.byId);
  const sequence = common.map((k) => oldIndex.get(k.key)!);
  const kept = longestIncreasing(sequence);
  const moved = new Set<string>();
  common.forEach((k, i) => {
    if (!kept.has(i)) moved.add(k.key);
  });
  return moved;
}

/** Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n)). */
function longestIncreasing(values: number[]): Set<number> {
  const tails: number[] = [];
  const previous: number[] = new Array(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]] < values[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const kept = new Set<number>();
  for (let i = tails.length > 0 ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) kept.add(i);
  return kept;
}
