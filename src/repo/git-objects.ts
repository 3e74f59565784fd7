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
  /** Armored signature over the same commit without it; written as git's `gpgsig` header. */
  signature?: string;
}): Uint8Array {
  let text = `tree ${args.tree}\n`;
  for (const p of args.parents) text += `parent ${p}\n`;
  text += `author ${formatPerson(args.author)}\ncommitter ${formatPerson(args.committer)}\n`;
  if (args.signature !== undefined) text += signatureHeader(args.signature);
  return encoder.encode(`${text}\n${withFinalNewline(args.message)}`);
}

/**
 * `gpgsig <first line>\n <next line>\n…`, the way git inserts a signature into a commit
 * (`add_header_signature`): each following line prefixed with one space, an empty line too.
 */
function signatureHeader(armored: string): string {
  const lines = withFinalNewline(armored).slice(0, -1).split("\n");
  if (lines.some((l) => l.includes("\r") || l.includes("\0"))) {
    throw new ConfvaultError("BAD_INPUT", "A commit signature may not contain CR or NUL bytes.");
  }
  return `gpgsig ${lines.join("\n ")}\n`;
}

export function formatTag(args: {
  object: string;
  name: string;
  tagger: Person;
  message: string;
  /** Armored signature over the tag bytes without it; appended after the message (`git tag -s`). */
  signature?: string;
}): Uint8Array {
  const head = `object ${args.object}\ntype commit\ntag ${args.name}\ntagger ${formatPerson(args.tagger)}\n\n`;
  const body = head + withFinalNewline(args.message);
  return encoder.encode(args.signature === undefined ? body : body + withFinalNewline(args.signature));
}

/** Signed objects split the way git verifies them: the signed payload and the signature text. */
export interface SignedParts {
  payload: Uint8Array;
  /** Armored signature; null when the object carries none. */
  signature: string | null;
}

/**
 * A commit without its `gpgsig` header (git's `parse_buffer_signed_by_header`): the payload
 * is every byte but the header and its space-prefixed continuation lines.
 */
export function splitCommitSignature(raw: Uint8Array): SignedParts {
  const keep: Uint8Array[] = [];
  const sig: Uint8Array[] = [];
  let found = false;
  let inSig = false;
  let at = 0;
  while (at < raw.length) {
    const eol = raw.indexOf(LF, at);
    const next = eol === -1 ? raw.length : eol + 1;
    if (raw[at] === LF) {
      keep.push(raw.subarray(at)); // the blank line and the message
      break;
    }
    if (inSig && raw[at] === SPACE) sig.push(raw.subarray(at + 1, next));
    else if (!found && startsWith(raw, at, GPGSIG)) {
      sig.push(raw.subarray(at + GPGSIG.length, next));
      found = inSig = true;
    } else {
      keep.push(raw.subarray(at, next));
      inSig = false;
    }
    at = next;
  }
  return { payload: joinBytes(keep), signature: found ? new TextDecoder().decode(joinBytes(sig)) : null };
}

const LF = 0x0a;
const SPACE = 0x20;
const GPGSIG = encoder.encode("gpgsig ");

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function joinBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A tag split at its LAST line starting a signature (git's `parse_signed_buffer`). */
export function splitTagSignature(raw: Uint8Array): SignedParts {
  let found = -1;
  for (let at = 0; at < raw.length; ) {
    if (SIGNATURE_BEGINS.some((b) => startsWith(raw, at, b))) found = at;
    const eol = raw.indexOf(LF, at);
    if (eol === -1) break;
    at = eol + 1;
  }
  if (found === -1) return { payload: raw, signature: null };
  return { payload: raw.slice(0, found), signature: new TextDecoder().decode(raw.slice(found)) };
}

const SIGNATURE_LINE = /^-----BEGIN (?:SSH SIGNATURE|PGP SIGNATURE|PGP MESSAGE|SIGNED MESSAGE)-----/;
const SIGNATURE_BEGINS = ["SSH SIGNATURE", "PGP SIGNATURE", "PGP MESSAGE", "SIGNED MESSAGE"].map((k) =>
  encoder.encode(`-----BEGIN ${k}-----`),
);

/** A tag message as a reader should see it: without an appended signature block. */
export function stripTagSignature(message: string): string {
  let found = -1;
  for (let at = 0; at < message.length; ) {
    if (SIGNATURE_LINE.test(message.slice(at, at + 40))) found = at;
    const eol = message.indexOf("\n", at);
    if (eol === -1) break;
    at = eol + 1;
  }
  return found === -1 ? message : message.slice(0, found);
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
