import type { OpsReport } from "./ops-report.ts";
import { formatOpsReport } from "./ops-report.ts";

export type ReportPeriod = "weekly" | "monthly";

export interface ReportMail {
  subject: string;
  text: string;
  html: string;
}

/** What changed over the period, from the restore points' own history (CLI applies included). */
export interface PeriodFacts {
  days: number;
  restorePoints: number;
  bySource: Record<string, number>;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** `code`, **bold** and nothing else: the only inline markup formatOpsReport writes. */
function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

/**
 * The report's markdown as HTML: headings, pipe tables, bullet lists and paragraphs (the shapes
 * formatOpsReport emits), every value escaped. Mail clients get a readable table, not markdown.
 */
export function reportHtml(markdown: string): string {
  const lines = markdown.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("## ")) out.push(`<h2>${inline(line.slice(3))}</h2>`);
    else if (line.startsWith("# ")) out.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith("|")) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith("|"); i++) {
        const cells = lines[i]!.slice(1, lines[i]!.endsWith("|") ? -1 : undefined).split("|");
        if (cells.every((c) => /^\s*-+\s*$/.test(c))) continue;
        rows.push(cells.map((c) => c.trim()));
      }
      i--;
      const [head, ...body] = rows;
      out.push(
        '<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">',
        `<tr>${(head ?? []).map((c) => `<th align="left">${inline(c)}</th>`).join("")}</tr>`,
        ...body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`),
        "</table>",
      );
    } else if (line.startsWith("- ")) {
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.startsWith("- "); i++)
        items.push(`<li>${inline(lines[i]!.slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join("")}</ul>`);
    } else if (line.trim() !== "") out.push(`<p>${inline(line)}</p>`);
  }
  return `<!doctype html><html><body style="font-family:sans-serif">${out.join("\n")}</body></html>\n`;
}

/** The weekly or monthly report e-mail: subject, plain text (markdown) and HTML. */
export function renderReportMail(report: OpsReport, period: ReportPeriod, facts: PeriodFacts): ReportMail {
  const sources = Object.entries(facts.bySource)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s} ${n}`)
    .join(", ");
  const summary = [
    `## Last ${facts.days} days`,
    "",
    `- restore points made: ${facts.restorePoints}${sources ? ` (${sources})` : ""}`,
    `- open alerts: ${report.alerts.length}`,
    "",
  ].join("\n");
  const body = formatOpsReport(report);
  const firstBreak = body.indexOf("\n## ");
  const text =
    firstBreak < 0
      ? `${body}\n\n${summary}`
      : `${body.slice(0, firstBreak)}\n\n${summary}${body.slice(firstBreak + 1)}`;
  const alerts = report.alerts.length > 0 ? ` — ${report.alerts.length} open alert(s)` : "";
  return {
    subject: `[confvault] ${period} report — ${report.node} (${report.cluster})${alerts}`,
    text: `${text}\n`,
    html: reportHtml(text),
  };
}
