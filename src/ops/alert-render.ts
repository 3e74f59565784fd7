import { readFileSync } from "node:fs";
import { packageFile } from "../core/package-files.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { Incident } from "./alert-rules.ts";

export type AlertFormat = "generic" | "slack";

export interface AlertMessage {
  status: "firing" | "resolved";
  incident: Incident;
  node: string;
  cluster: string;
  firstSeen: string;
  resolvedAt: string | null;
  sentAt: string;
}

const cache = new Map<AlertFormat, string>();

function template(format: AlertFormat): string {
  let text = cache.get(format);
  if (text === undefined) {
    text = readFileSync(packageFile(`templates/alerts/${format}.json`), "utf8");
    cache.set(format, text);
  }
  return text;
}

/** Slack mrkdwn treats &, < and > as markup: escape them in user-provided text. */
const slackEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Renders templates/alerts/<format>.json (valid JSON itself). Each `"{{name}}"` string stands for
 * one JSON value and is replaced whole by JSON.stringify(value), so no value can break out of it.
 */
export function renderAlert(format: AlertFormat, m: AlertMessage, source = template(format)): unknown {
  const mark = m.status === "resolved" ? "RESOLVED" : m.incident.severity.toUpperCase();
  const values: Record<string, unknown> = {
    status: m.status,
    id: m.incident.id,
    kind: m.incident.kind,
    severity: m.incident.severity,
    title: m.incident.title,
    summary: m.incident.summary,
    node: m.node,
    cluster: m.cluster,
    firstSeen: m.firstSeen,
    resolvedAt: m.resolvedAt,
    sentAt: m.sentAt,
    headline: `[${mark}] ${m.incident.title}`.slice(0, 150),
    text: slackEscape(`[${mark}] ${m.incident.title} on ${m.node} (${m.cluster}): ${m.incident.summary}`),
    context: slackEscape(
      `confvault · node ${m.node} · cluster ${m.cluster} · ${m.incident.kind} · since ${m.firstSeen}`,
    ),
  };
  if (format === "slack") values.summary = slackEscape(m.incident.summary);
  const filled = source.replace(/"\{\{\s*([A-Za-z]+)\s*\}\}"/g, (_, name: string) => {
    if (!(name in values))
      throw new ConfvaultError(
        "SETTINGS_INVALID",
        `alert template ${format}.json uses unknown {{${name}}}`,
        `use one of ${Object.keys(values).join(", ")}`,
      );
    return JSON.stringify(values[name] ?? null);
  });
  try {
    return JSON.parse(filled);
  } catch (err) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `alert template ${format}.json is not valid JSON once filled: ${(err as Error).message}`,
      "fix templates/alerts/",
    );
  }
}
