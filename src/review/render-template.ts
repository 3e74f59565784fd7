import { readFile } from "node:fs/promises";
import { packageFile } from "../core/package-files.ts";

/** Reads templates/<name> and fills its {{placeholders}}; an unknown placeholder becomes "". */
export async function renderTemplate(name: string, values: Record<string, string>): Promise<string> {
  const text = await readFile(packageFile(`templates/${name}`), "utf8");
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? "");
}

/** A fenced Markdown code block whose fence is longer than any backtick run inside the text. */
export function fenced(text: string, lang = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${lang}\n${text.replace(/\n$/, "")}\n${fence}`;
}

/** One line, control characters removed (titles, status descriptions). */
export function oneLine(text: string, max = 1000): string {
  const line = text
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
