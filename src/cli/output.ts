import { ConfvaultError } from "../errors/confvault-error.ts";

/*
 * How the CLI writes: the JSON conventions (one document, 2-space, ISO times, null for absent),
 * colour (a terminal, NO_COLOR, FORCE_COLOR), aligned columns, local times with their age, the
 * log line format and the refusal to write binary to a terminal. Pure functions, no dependencies:
 * this module is loaded by every command.
 */

type Env = Record<string, string | undefined>;

/** FORCE_COLOR wins (0/false turn colour off), then NO_COLOR (any non-empty value), then: a terminal that is not dumb. */
export function colorEnabled(env: Env, isTTY: boolean): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false", "no"].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return isTTY && env.TERM !== "dumb";
}

const SGR = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  magenta: [35, 39],
} as const;
export type Style = keyof typeof SGR;

/** `text` in a style when colour is on; the text as it is otherwise. */
export function paint(color: boolean, style: Style, text: string): string {
  if (!color || text === "") return text;
  const [on, off] = SGR[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Width on a terminal: without colour codes, one column per code point. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/** Rows as lines with every column but the last padded to the widest cell; two spaces between columns. */
export function alignColumns(rows: readonly (readonly string[])[], gap = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, visibleWidth(cell));
    });
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i < row.length - 1 ? cell + " ".repeat((widths[i] ?? 0) - visibleWidth(cell)) : cell,
      )
      .join(gap)
      .replace(/\s+$/, ""),
  );
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** `2026-12-03 14:05` in the process's local time zone (TZ). */
export function localMinute(date: Date): string {
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

/** `just now`, `42 s ago`, `3 min ago`, `5 h ago`, `12 days ago`, `4 months ago`, `2 years ago` (or `in …` ahead of now). */
export function relativeAge(then: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - then.getTime()) / 1000);
  const ahead = seconds < 0;
  const s = Math.abs(seconds);
  let text: string;
  if (s < 5) return "just now";
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 48 * 3600) text = `${Math.floor(s / 3600)} h`;
  else if (s < 60 * 86400) text = `${Math.floor(s / 86400)} days`;
  else if (s < 730 * 86400) text = `${Math.floor(s / (30 * 86400))} months`;
  else text = `${Math.floor(s / (365 * 86400))} years`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** `2026-12-03 14:05 (3 min ago)`; an unparsable time is shown as it is. */
export function localTimeWithAge(iso: string, now: Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${localMinute(date)} (${relativeAge(date, now)})`;
}

/** Keys whose "" is content, not absence: a diff's empty old/new text, an empty unified diff or file. */
export const CONTENT_KEYS: ReadonlySet<string> = new Set(["old", "new", "unified", "base64", "content"]);

/** Keys whose numbers are points in time (unix seconds or milliseconds in some API results). */
const TIME_KEY = /(?:^|_)(?:time|date|timestamp)$|(?:At|Time|Date|Since|Until|Timestamp)$/;

/**
 * A result as `--json` prints it, whatever shape the operation returned: "" and undefined
 * (absent) become null, a unix time under a time-named key becomes ISO-8601, Dates ISO-8601.
 */
export function jsonForOutput(value: unknown, key = ""): unknown {
  if (value === "" && CONTENT_KEYS.has(key)) return value;
  if (value === "" || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" && TIME_KEY.test(key) && Number.isFinite(value)) {
    if (value >= 1e8 && value < 1e11) return new Date(value * 1000).toISOString();
    if (value >= 1e11 && value < 1e14) return new Date(value).toISOString();
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => jsonForOutput(v));
  if (value !== null && typeof value === "object") {
    if (typeof (value as { toJSON?: unknown }).toJSON === "function")
      return jsonForOutput((value as { toJSON(): unknown }).toJSON(), key);
    const out: Record<string, unknown> = {};
    // An absent optional field is null too: the same command gives the same shape every time.
    for (const [k, v] of Object.entries(value)) out[k] = jsonForOutput(v, k);
    return out;
  }
  return value;
}

/** The one JSON style of the CLI: 2-space indentation, conventions applied. */
export function formatJson(value: unknown): string {
  return JSON.stringify(jsonForOutput(value), null, 2);
}

/** Bytes a terminal would show as garbage: a NUL, invalid UTF-8, or control characters other than tab/CR/LF/FF/ESC. */
export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 64 * 1024);
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 0x1b) return true;
  }
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(
      sample.length < bytes.length ? trimUtf8(sample) : sample,
    );
    return false;
  } catch {
    return true;
  }
}

/** A sample cut at a UTF-8 boundary (so a character split by the cut does not count as invalid). */
function trimUtf8(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let back = 0; back < 4 && end > 0 && (bytes[end - 1]! & 0xc0) === 0x80; back++) end--;
  if (end > 0 && bytes[end - 1]! >= 0xc0) end--;
  return bytes.subarray(0, end);
}

/** The refusal to write binary bytes to a terminal; undefined when writing is fine (piped, or text). */
export function binaryRefusal(
  bytes: Uint8Array,
  stdoutIsTTY: boolean,
  file: string,
): ConfvaultError | undefined {
  if (!stdoutIsTTY || !looksBinary(bytes)) return undefined;
  return new ConfvaultError(
    "BAD_USAGE",
    `${file} is binary (${bytes.length} bytes); not writing it to the terminal`,
    `redirect it to a file (\`> ${baseName(file)}\`) or pass --output FILE`,
    { file, bytes: bytes.length },
  );
}

function baseName(file: string): string {
  return file.split("/").at(-1) || file;
}

/** A commander message as one line: `unknown command 'aply' (did you mean apply?)`. */
export function usageMessage(message: string): string {
  return message
    .replace(/^error:\s*/i, "")
    .replace(/\s*\n\s*\(Did you mean ([^)]*)\)/, " (did you mean $1)")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

const LEVELS: Record<number, string> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};
const LOG_KEYS_SKIPPED = new Set(["level", "time", "pid", "hostname", "msg", "v"]);

/** One pino JSON line as one readable line: `warn: post-apply hook failed (hook=post-apply code=1)`. */
export function logLineAsText(line: string, color = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line);
  } catch {
    return line.replace(/\n+$/, "");
  }
  const level = LEVELS[rec.level as number] ?? String(rec.level ?? "log");
  const fields = Object.entries(rec)
    .filter(([k]) => !LOG_KEYS_SKIPPED.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? oneLine(v) : oneLine(JSON.stringify(v))}`);
  const style: Style = level === "error" || level === "fatal" ? "red" : level === "warn" ? "yellow" : "dim";
  const msg = typeof rec.msg === "string" ? oneLine(rec.msg) : "";
  return `${paint(color, style, `${level}:`)} ${msg}${fields.length > 0 ? ` (${fields.join(" ")})` : ""}`;
}

function oneLine(text: string): string {
  const flat = text.trim().replace(/\s*\n\s*/g, " | ");
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

/** The closest of `names` to a mistyped `word` (edit distance with swaps, as commander suggests), if any is close. */
export function closestName(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const d = editDistance(word, name);
    const limit = Math.max(1, Math.floor(Math.max(word.length, name.length) / 3));
    if (d <= limit && d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}
