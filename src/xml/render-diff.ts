import type { DiffStats, SemanticDiffEntry } from "./semantic-diff.ts";

const MAX_VALUE = 200;
const LOCAL_MARK = "[node-local]";

export interface RenderDiffOptions extends Partial<DiffStats> {
  /** Lines that belong with the entries (the certificate line), put before the footer. */
  extraLines?: readonly string[];
}

/**
 * The reviewer's text of a semantic diff, one line per change, used alike by `confvault diff`,
 * the pull-request body and the dashboard:
 *
 * ```
 * + access/allow[id=1042]: enabled=TRUE, comment="block uploads", ip=10.1.0.0/24
 * - access/allow[id=3] removed: comment="Guest Wi-Fi"
 * ↕ access/allow[id=10] now before allow[id=6] "Help desk" (position 6 → 4)
 * ~ access/allow[id=5]/ip: "10.0.0.5" → "10.0.0.55"
 * * ldap/ldapsection[id=107]/ldappassword: secret changed
 * ~ general/hostname: "proxy-a" → "proxy-b"  [node-local]
 *
 * 3 formatting-only changes (whitespace, attribute order) not shown
 * ```
 * Secret values are never shown (the entries do not carry them). Empty when nothing changed.
 */
export function renderDiff(entries: readonly SemanticDiffEntry[], options: RenderDiffOptions = {}): string {
  const lines = entries.map((entry) =>
    entry.local ? `${renderEntry(entry)}  ${LOCAL_MARK}` : renderEntry(entry),
  );
  lines.push(...(options.extraLines ?? []));
  const footer: string[] = [];
  const formatting = options.formattingChanges ?? 0;
  if (formatting > 0) {
    const kinds = options.formattingKinds?.length ? ` (${options.formattingKinds.join(", ")})` : "";
    const count = `${formatting} formatting-only ${formatting === 1 ? "change" : "changes"}${kinds} not shown`;
    footer.push(lines.length === 0 ? `no policy changes; ${count}` : count);
  }
  const volatile = options.volatileChanges ?? 0;
  if (volatile > 0) {
    footer.push(
      `${volatile} volatile ${volatile === 1 ? "field" : "fields"} changed, not shown (--volatile shows ${volatile === 1 ? "it" : "them"})`,
    );
  }
  if (entries.some((e) => e.local))
    footer.push(`${LOCAL_MARK}: a section each node keeps for itself; cluster sync does not copy it`);
  if (lines.length === 0 && footer.length === 0) return "";
  const body = lines.map((l) => `${l}\n`).join("");
  if (footer.length === 0) return body;
  return `${body}${lines.length > 0 ? "\n" : ""}${footer.map((l) => `${l}\n`).join("")}`;
}

function renderEntry(entry: SemanticDiffEntry): string {
  const path = entry.path === "" ? "(root)" : entry.path;
  switch (entry.kind) {
    case "added":
      return entry.summary ? `+ ${path}: ${entry.summary}` : `+ ${path} added`;
    case "removed":
      return entry.summary ? `- ${path} removed: ${entry.summary}` : `- ${path} removed`;
    case "moved": {
      const positions = `(position ${entry.from} → ${entry.to})`;
      const label = (l: string | undefined) => (l ? ` ${l}` : "");
      if (entry.nowBefore)
        return `↕ ${path} now before ${entry.nowBefore}${label(entry.nowBeforeLabel)} ${positions}`;
      if (entry.nowAfter)
        return `↕ ${path} now last, after ${entry.nowAfter}${label(entry.nowAfterLabel)} ${positions}`;
      return `↕ ${path} moved from position ${entry.from} to ${entry.to}`;
    }
    case "secret-changed":
      return `* ${path}: secret changed`;
    case "changed":
    case "attribute-changed":
      return `~ ${path}: ${quote(entry.old)} → ${quote(entry.new)}`;
  }
}

function quote(value: string | undefined): string {
  if (value === undefined) return "(none)";
  const shown = value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
  return JSON.stringify(shown);
}
