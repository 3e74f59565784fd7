import { readFileSync } from "node:fs";
import { packageFile } from "./package-files.ts";

let cached: string | undefined;

function template(): string {
  cached ??= readFileSync(packageFile("templates/commit-message.txt"), "utf8");
  return cached;
}

const oneLine = (s: string) =>
  s
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim();

export interface CommitMessageInput {
  subject: string;
  reason: string;
  actor: string;
  source: string;
  node: string;
  trailers?: Record<string, string>;
}

/** Renders templates/commit-message.txt: subject, reason, and Confvault-* trailers. */
export function renderCommitMessage(input: CommitMessageInput): string {
  const extra = Object.entries(input.trailers ?? {})
    .map(([k, v]) => `${k}: ${oneLine(v)}`)
    .join("\n");
  const values: Record<string, string> = {
    subject: oneLine(input.subject).slice(0, 200),
    reason: input.reason
      .replace(/\r\n?/g, "\n")
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "")
      .trim(),
    reasonLine: oneLine(input.reason).slice(0, 500),
    actor: oneLine(input.actor),
    source: input.source,
    node: input.node,
    extraTrailers: extra,
  };
  const text = template().replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? "");
  return `${text.replace(/\n+$/, "")}\n`;
}

/** Reads Confvault-* trailers (and the subject) back from a commit or tag message. */
export function parseTrailers(message: string): { subject: string; trailers: Record<string, string> } {
  const lines = message.split("\n");
  const trailers: Record<string, string> = {};
  for (const line of lines) {
    const m = /^(Confvault-[A-Za-z-]+):\s?(.*)$/.exec(line);
    if (m) trailers[m[1]] = m[2];
  }
  return { subject: lines[0] ?? "", trailers };
}
