import { ConfvaultError } from "../errors/confvault-error.ts";
import { scanXml } from "../xml/scan-xml.ts";
import { spliceBytes } from "../xml/splice-bytes.ts";
import type { ElementSpan } from "../xml/types.ts";
import { lineStart } from "./splice-local-sections.ts";

/** What to do with a chosen section that exists on one side only (default: refuse and list them). */
export type MissingSections = "refuse" | "add" | "skip" | "remove";

/** A section path as node-local sections write it, plus `[@attr=value]` predicates: `ldap/ldapsection[@id=107]`. */
export interface SectionSpec {
  text: string;
  /** Slash path below the root element, without predicates. */
  path: string;
  /** Matches at any depth (a leading `//`). */
  anywhere: boolean;
  /** Predicates per step (by step index), all must hold. */
  predicates: Array<{ step: number; attr: string; value: string }>;
}

export interface SectionOutcome {
  section: string;
  /** replaced: the REF's bytes took the place of the current ones; added/removed: one side only. */
  action: "replaced" | "added" | "removed" | "kept" | "unchanged";
  count: number;
}

const STEP = /^([A-Za-z_][\w.-]*(?::[\w.-]+)?)((?:\[@[\w.:-]+=(?:"[^"]*"|'[^']*'|[^\]]*)\])*)$/;
const PREDICATE = /\[@([\w.:-]+)=("[^"]*"|'[^']*'|[^\]]*)\]/g;

export function parseSectionSpec(text: string): SectionSpec {
  const raw = text.trim();
  const anywhere = raw.startsWith("//");
  const steps = raw.replace(/^\/+|\/+$/g, "").split("/");
  const names: string[] = [];
  const predicates: SectionSpec["predicates"] = [];
  steps.forEach((step, i) => {
    const m = STEP.exec(step);
    if (!m) {
      throw new ConfvaultError(
        "BAD_USAGE",
        `--section ${JSON.stringify(text)}: "${step}" is not an element name with optional [@attr=value] predicates`,
        "write a path below the root element, e.g. access, ldap/ldapsection[@id=107], OPNsense/Firewall/Filter",
      );
    }
    names.push(m[1]!);
    for (const p of (m[2] ?? "").matchAll(PREDICATE)) {
      const value = p[2]!.replace(/^(["'])(.*)\1$/, "$2");
      predicates.push({ step: i, attr: p[1]!, value });
    }
  });
  if (names.length === 0 || names[0] === "") {
    throw new ConfvaultError("BAD_USAGE", "--section needs a path", "for example --section access");
  }
  return { text: raw, path: names.join("/"), anywhere, predicates };
}

function matchesPath(span: ElementSpan, spec: SectionSpec): boolean {
  return spec.anywhere
    ? span.path === spec.path || span.path.endsWith(`/${spec.path}`)
    : span.path === spec.path;
}

/** The outermost spans the spec names, in document order; predicates checked on every step's ancestor. */
function select(spans: ElementSpan[], spec: SectionSpec): ElementSpan[] {
  const depthOf = spec.path.split("/").length;
  const found = spans.filter((s) => {
    if (!matchesPath(s, spec)) return false;
    for (const p of spec.predicates) {
      // The element of step p.step: the ancestor (or self) depthOf - 1 - p.step levels up.
      const up = depthOf - 1 - p.step;
      const target = up === 0 ? s : ancestor(spans, s, up);
      if (target?.attributes[p.attr] !== p.value) return false;
    }
    return true;
  });
  return found.filter((s) => !found.some((o) => o !== s && o.start <= s.start && s.end <= o.end));
}

function ancestor(spans: ElementSpan[], s: ElementSpan, up: number): ElementSpan | undefined {
  let best: ElementSpan | undefined;
  for (const o of spans) {
    if (o.depth === s.depth - up && o.start < s.start && s.end <= o.end) best = o;
  }
  return best;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The current config with the chosen sections taken from `from`, byte for byte, and every other
 * byte of `current` kept (splices by byte ranges, as node-local sections do). Sections present on
 * both sides are paired in document order. A section on one side only is refused (the list in
 * the error) unless `missing` says otherwise: add (take the ones only `from` has, placed at the end
 * of their parent), remove (drop the ones only `current` has), skip (leave both kinds alone).
 */
export function spliceSections(
  current: Uint8Array,
  from: Uint8Array,
  sections: readonly string[],
  missing: MissingSections = "refuse",
): { config: Uint8Array; outcomes: SectionOutcome[] } {
  const specs = sections.map(parseSectionSpec);
  const patterns = [...new Set(specs.flatMap((s) => [s.anywhere ? `//${s.path}` : s.path, ...parents(s)]))];
  const cur = scanXml(current, { patterns });
  const ref = scanXml(from, { patterns });
  const replacements: { start: number; end: number; bytes: Uint8Array }[] = [];
  const outcomes: SectionOutcome[] = [];
  const oneSided: string[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (start: number, end: number) => taken.some(([s, e]) => start < e && end > s);
  for (const spec of specs) {
    const a = select(cur.matches, spec);
    const b = select(ref.matches, spec);
    const pairs = Math.min(a.length, b.length);
    let replaced = 0;
    let same = 0;
    for (let i = 0; i < pairs; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (overlaps(x.start, x.end)) {
        throw new ConfvaultError(
          "BAD_USAGE",
          `--section ${spec.text} overlaps another chosen section`,
          "choose sections that do not contain one another",
        );
      }
      taken.push([x.start, x.end]);
      const bytes = from.subarray(y.start, y.end);
      if (sameBytes(bytes, current.subarray(x.start, x.end))) same++;
      else {
        replacements.push({ start: x.start, end: x.end, bytes });
        replaced++;
      }
    }
    if (replaced > 0) outcomes.push({ section: spec.text, action: "replaced", count: replaced });
    if (same > 0) outcomes.push({ section: spec.text, action: "unchanged", count: same });
    const onlyCurrent = a.slice(pairs);
    const onlyFrom = b.slice(pairs);
    if (onlyCurrent.length + onlyFrom.length === 0) continue;
    if (onlyFrom.length > 0) oneSided.push(`${spec.text}: ${onlyFrom.length} only in the restore point`);
    if (onlyCurrent.length > 0)
      oneSided.push(`${spec.text}: ${onlyCurrent.length} only in the current config`);
    if (missing === "refuse") continue;
    if (missing === "add" && onlyFrom.length > 0) {
      for (const y of onlyFrom) {
        const parentPath = y.path.split("/").slice(0, -1).join("/");
        let end = -1;
        if (parentPath === "")
          end = new TextDecoder("latin1").decode(current).lastIndexOf(`</${cur.rootName}`);
        else {
          const parent = cur.matches.find((s) => s.path === parentPath && s.contentEnd < s.end);
          if (parent) end = parent.contentEnd;
        }
        if (end < 0) {
          throw new ConfvaultError(
            "BAD_INPUT",
            `--section ${spec.text}: the current config has no <${parentPath || cur.rootName}> to add it to`,
            "restore its parent section instead",
          );
        }
        const at = lineStart(current, end);
        replacements.push({ start: at, end: at, bytes: from.subarray(lineStart(from, y.start), y.end) });
      }
      outcomes.push({ section: spec.text, action: "added", count: onlyFrom.length });
    }
    if (missing === "remove" && onlyCurrent.length > 0) {
      for (const x of onlyCurrent) {
        const start = lineStart(current, x.start);
        replacements.push({ start, end: x.end, bytes: new Uint8Array(0) });
        taken.push([start, x.end]);
      }
      outcomes.push({ section: spec.text, action: "removed", count: onlyCurrent.length });
    }
    const left = (missing === "add" ? onlyCurrent.length : 0) + (missing === "remove" ? onlyFrom.length : 0);
    if (missing === "skip" || left > 0)
      outcomes.push({
        section: spec.text,
        action: "kept",
        count: missing === "skip" ? onlyCurrent.length + onlyFrom.length : left,
      });
  }
  if (missing === "refuse" && oneSided.length > 0) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `sections that exist on one side only: ${oneSided.join("; ")}`,
      "choose with --missing add (take what only the restore point has), remove (drop what only the current config has) or skip",
      { sections: oneSided },
    );
  }
  const nothing = specs.filter((s) => !outcomes.some((o) => o.section === s.text));
  if (nothing.length > 0) {
    throw new ConfvaultError(
      "NOT_FOUND",
      `no such section on either side: ${nothing.map((s) => s.text).join(", ")}`,
      "section paths start below the root element (e.g. access, not safesquid/access); `confvault show REF` shows the config",
    );
  }
  return { config: replacements.length === 0 ? current : spliceBytes(current, replacements), outcomes };
}

function parents(spec: SectionSpec): string[] {
  const steps = spec.path.split("/");
  const out: string[] = [];
  for (let i = 1; i < steps.length; i++) {
    const p = steps.slice(0, i).join("/");
    out.push(spec.anywhere ? `//${p}` : p);
  }
  return out;
}
