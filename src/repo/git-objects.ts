import { ConfvaultError } from "../errors/confvault-error.ts";
import type { Person } from "./engine.ts";

/** Serialisation of git's tree, commit and tag objects, byte-exact with what git writes. */

const encoder = new TextEncoder();

export interface TreeEntry {
  name: string;
  mode: "100644" | "40000";
  oid: string;
}

/** Refuses identities that would corrupt the object header or fail `git fsck --strict`. */
export function assertPerson(person: Person, role: string): void {
  const bad = (what: string): never => {
    throw new ConfvaultError(
      "BAD_INPUT",
      `The ${role} ${what}.`,
      "Names and emails may not contain <, > or newlines.",
      {
        role,
      },
    );
  };
  if (!person || typeof person.name !== "string" || typeof person.email !== "string") bad("is missing");
  if (/[<>\n\r\0]/.test(person.name)) bad(`name '${person.name}' contains <, > or a line break`);
  if (/[<>\n\r\0]/.test(person.email)) bad(`email '${person.email}' contains <, > or a line break`);
  if (!Number.isInteger(person.timestamp) || person.timestamp < 0) bad("timestamp is not whole seconds ≥ 0");
  const tz = person.timezoneOffset ?? 0;
  if (!Number.isInteger(tz) || Math.abs(tz) >= 24 * 60) bad("timezoneOffset is out of range");
}

/**
 * `Name <email> 1700000000 +0100`. `timezoneOffset` follows isomorphic-git (and JS
 * `Date#getTimezoneOffset`): minutes WEST of UTC, so +0100 is -60. Reads return the same.
 */
export function formatPerson(person: Person): string {
  const east = -(person.timezoneOffset ?? 0);
  const sign = east < 0 ? "-" : "+";
  const abs = Math.abs(east);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${person.name} <${person.email}> ${person.timestamp} ${sign}${hh}${mm}`;
}

/** Git's message convention: exactly as given, with one final newline added when missing. */
function withFinalNewline(message: string): string {
  return message.endsWith("\n") ? message : `${message}\n`;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Git sorts tree entries by name bytes, comparing a subtree's name as if it ended with "/". */
export function formatTree(entries: TreeEntry[]): Uint8Array {
  const keyed = entries.map((e) => ({
    e,
    name: encoder.encode(e.name),
    key: encoder.encode(e.mode === "40000" ? `${e.name}/` : e.name),
  }));
  keyed.sort((a, b) => compareBytes(a.key, b.key));
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const { e, name } of keyed) {
    const head = encoder.encode(`${e.mode} `);
    const oid = hexToBytes(e.oid);
    chunks.push(head, name, Uint8Array.of(0), oid);
    total += head.length + name.length + 1 + oid.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function formatCommit(args: {
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
  message: string;
}): Uint8Array {
  let text = `tree ${args.tree}\n`;
  for (const p of args.parents) text += `parent ${p}\n`;
  text += `author ${formatPerson(args.author)}\ncommitter ${formatPerson(args.committer)}\n\n`;
  return encoder.encode(text + withFinalNewline(args.message));
}

export function formatTag(args: {
  object: string;
  name: string;
  tagger: Person;
  message: string;
}): Uint8Array {
  const head = `object ${args.object}\ntype commit\ntag ${args.name}\ntagger ${formatPerson(args.tagger)}\n\n`;
  return encoder.encode(head + withFinalNewline(args.message));
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Splits "a/b/c.xml" into checked components; refuses what git (or fsck --strict) would not take. */
export function splitFilePath(path: string): string[] {
  const parts = path.split("/");
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (part === "" || part === "." || part === ".." || lower === ".git" || /[\0\\]/.test(part)) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `Invalid file path '${path}' for a commit.`,
        "Use relative paths with '/' separators and no empty, '.', '..' or '.git' components.",
        { path },
      );
    }
  }
  return parts;
}
