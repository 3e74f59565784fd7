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
  maxEntityExpansion?: number;
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
): DiffEntry[] {
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
  const entries: DiffEntry[] = [];

  const compareValue = (
    path: string,
    plain: string,
    kind: "changed" | "attribute-changed",
    a?: string,
    b?: string,
  ) => {
    if (a === b) return;
    if (isSecret(plain, a, b)) entries.push({ kind: "secret-changed", path });
    else
      entries.push({
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
      if (!newByKey.has(k.key) && !isVolatile(child.plain))
        entries.push({ kind: "removed", path: child.path });
    }
    const moved = movedKeys(oldKeyed, newKeyed, oldByKey);
    for (const k of newKeyed) {
      const child = childPaths(k);
      if (isVolatile(child.plain)) continue;
      const before = oldByKey.get(k.key);
      if (!before) {
        entries.push({ kind: "added", path: child.path });
        continue;
      }
      if (moved.has(k.key))
        entries.push({ kind: "moved", path: child.path, from: before.position, to: k.position });
      compare(before.node, k.node, child.path, child.plain);
    }
  };

  if (oldRoot.name !== newRoot.name) {
    entries.push({ kind: "changed", path: "", old: `<${oldRoot.name}>`, new: `<${newRoot.name}>` });
    return entries;
  }
  compare(oldRoot, newRoot, "", "");
  return entries;
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
