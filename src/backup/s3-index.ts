import { base64 } from "@scure/base";
import { sha256Hex } from "../core/manifest.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { parseSshPublicKey, type Signer, verifyEd25519 } from "../seal/signing-key.ts";
import type { ObjectStore } from "./s3-adapter.ts";

/*
 * The layout of an S3 remote (format v1, documented in the README):
 *
 *   <prefix>/bundles/<seq>-<sha256[0:16]>.bundle   a `git bundle` (v2) with what one push added
 *   <prefix>/index/<seq>-<sha256[0:16]>.json       a signed index record, cumulative
 *
 * Nothing is ever overwritten: every key carries a hash of its content and is written with
 * `If-None-Match: *`. An index record lists every bundle of the history in the order they apply
 * (each bundle's prerequisites are in the bundles before it), the refs after the push, and the
 * records it supersedes (`parents`). Two pushers that race both write a record at the same
 * sequence; readers take every record nobody superseded (the "heads") and merge them, and the
 * next push writes one record over all heads. So a lost race costs nothing and a pusher that
 * sees one re-reads and writes the merge.
 */

export const INDEX_FORMAT = "confvault-s3-index/1";

export interface BundleEntry {
  key: string;
  sha256: string;
  size: number;
  /** Refs the bundle carries: "refs/heads/main" / "refs/tags/rp/…" → oid. */
  refs: Record<string, string>;
  /** Commits the bundle needs (in earlier bundles). */
  prerequisites: string[];
}

export interface IndexBody {
  format: typeof INDEX_FORMAT;
  seq: number;
  parents: string[];
  createdAt: string;
  cluster: string;
  node: string;
  /** Tip of main after this push. */
  main: string | null;
  /** Every restore-point tag: name ("rp/…") → oid of the tag object. */
  tags: Record<string, string>;
  bundles: BundleEntry[];
}

export interface IndexRecord extends IndexBody {
  signature: { alg: "ed25519"; key: string; value: string };
}

export interface LoadedRecord {
  key: string;
  record: IndexRecord;
  /** The bytes the signature covers. */
  signed: Uint8Array;
}

const enc = new TextEncoder();
const KEY = /^index\/(\d{12})-([0-9a-f]{16})\.json$/;

export function seqOfIndexKey(key: string): number | undefined {
  const m = KEY.exec(key);
  return m ? Number(m[1]) : undefined;
}

const pad = (seq: number) => String(seq).padStart(12, "0");

export async function bundleKey(seq: number, bytes: Uint8Array): Promise<{ key: string; sha256: string }> {
  const sha256 = await sha256Hex(bytes);
  return { key: `bundles/${pad(seq)}-${sha256.slice(0, 16)}.bundle`, sha256 };
}

/** `signed` = UTF-8 of JSON.stringify(body) with the fields in IndexBody order; the object adds `signature`. */
export async function signIndex(
  body: IndexBody,
  signer: Signer,
): Promise<{ key: string; bytes: Uint8Array }> {
  const ordered: IndexBody = {
    format: body.format,
    seq: body.seq,
    parents: body.parents,
    createdAt: body.createdAt,
    cluster: body.cluster,
    node: body.node,
    main: body.main,
    tags: body.tags,
    bundles: body.bundles.map((b) => ({
      key: b.key,
      sha256: b.sha256,
      size: b.size,
      refs: b.refs,
      prerequisites: b.prerequisites,
    })),
  };
  const signed = enc.encode(JSON.stringify(ordered));
  const signature = await signer.sign(signed);
  const record: IndexRecord = {
    ...ordered,
    signature: { alg: "ed25519", key: signer.sshPublicKey, value: base64.encode(signature) },
  };
  const bytes = enc.encode(`${JSON.stringify(record)}\n`);
  const hash = await sha256Hex(bytes);
  return { key: `index/${pad(body.seq)}-${hash.slice(0, 16)}.json`, bytes };
}

function badIndex(where: string, key: string, why: string): ConfvaultError {
  return new ConfvaultError(
    "VERIFY_FAILED",
    `index record ${where}/${key} ${why}`,
    "someone without this home's activation key wrote to the bucket, or the object was damaged; compare with another copy before pushing again",
    { key },
  );
}

/** Parses one index record; its signature is checked separately (`checkSignature`). */
export function parseIndexRecord(where: string, key: string, bytes: Uint8Array): LoadedRecord {
  let record: IndexRecord;
  try {
    record = JSON.parse(new TextDecoder().decode(bytes)) as IndexRecord;
  } catch {
    throw badIndex(where, key, "is not JSON");
  }
  if (
    record?.format !== INDEX_FORMAT ||
    typeof record.seq !== "number" ||
    record.seq !== seqOfIndexKey(key) ||
    !Array.isArray(record.bundles) ||
    !Array.isArray(record.parents) ||
    typeof record.tags !== "object" ||
    record.signature?.alg !== "ed25519"
  ) {
    throw badIndex(where, key, `is not a ${INDEX_FORMAT} record (or its sequence does not match its name)`);
  }
  const { signature, ...body } = record;
  void signature;
  return { key, record, signed: enc.encode(JSON.stringify(body)) };
}

/**
 * Checks a record's Ed25519 signature and that its key is one of `trusted` (raw public keys).
 * Throws VERIFY_FAILED otherwise.
 */
export async function checkSignature(
  where: string,
  loaded: LoadedRecord,
  trusted: readonly Uint8Array[],
): Promise<void> {
  const key = parseSshPublicKey(loaded.record.signature.key);
  if (!key) throw badIndex(where, loaded.key, "names no Ed25519 key");
  const known = trusted.some((t) => t.length === key.length && t.every((b, i) => b === key[i]));
  if (!known)
    throw badIndex(
      where,
      loaded.key,
      `is signed by ${loaded.record.signature.key.slice(0, 40)}…, not by this home's key`,
    );
  let sig: Uint8Array;
  try {
    sig = base64.decode(loaded.record.signature.value);
  } catch {
    throw badIndex(where, loaded.key, "has a malformed signature");
  }
  if (!(await verifyEd25519(key, loaded.signed, sig)))
    throw badIndex(where, loaded.key, "has a bad signature: it was altered");
}

export interface RemoteState {
  /** Records nobody superseded, highest sequence first. */
  heads: LoadedRecord[];
  /** Every index key listed, and the ones read. */
  listed: string[];
  read: Set<string>;
  /** Lowest sequence looked at (records below it are covered by the heads). */
  lowest: number;
  maxSeq: number;
  /** The heads merged: bundles in apply order, tags, the distinct mains. */
  bundles: BundleEntry[];
  tags: Record<string, string>;
  mains: string[];
  cluster: string | undefined;
}

/**
 * Reads the heads of the index: from the highest sequence down, every record that no record
 * read so far names as a parent, stopping at the first level whose records are all superseded.
 * `verify` checks each head (signature) before its content is used.
 */
export async function readRemoteState(
  store: ObjectStore,
  verify: (loaded: LoadedRecord) => Promise<void>,
): Promise<RemoteState> {
  const listed = (await store.list("index")).filter((k) => seqOfIndexKey(k) !== undefined);
  const byLevel = new Map<number, string[]>();
  for (const k of listed) {
    const s = seqOfIndexKey(k)!;
    byLevel.set(s, [...(byLevel.get(s) ?? []), k]);
  }
  const levels = [...byLevel.keys()].sort((a, b) => b - a);
  const covered = new Set<string>();
  const heads: LoadedRecord[] = [];
  const read = new Set<string>();
  let lowest = levels[0] ?? 0;
  for (const [i, level] of levels.entries()) {
    const open = byLevel.get(level)!.filter((k) => !covered.has(k));
    if (i > 0 && open.length === 0) break;
    lowest = level;
    const loaded = await Promise.all(
      open.map(async (k) => parseIndexRecord(store.where, k, await store.get(k))),
    );
    for (const l of loaded) {
      await verify(l);
      read.add(l.key);
      heads.push(l);
      for (const p of l.record.parents) covered.add(p);
    }
  }
  const bundles: BundleEntry[] = [];
  const seen = new Set<string>();
  const tags: Record<string, string> = {};
  const mains: string[] = [];
  for (const h of heads) {
    for (const b of h.record.bundles) {
      if (seen.has(b.key)) continue;
      seen.add(b.key);
      bundles.push(b);
    }
    for (const [name, oid] of Object.entries(h.record.tags)) if (!(name in tags)) tags[name] = oid;
    if (h.record.main && !mains.includes(h.record.main)) mains.push(h.record.main);
  }
  return {
    heads,
    listed,
    read,
    lowest,
    maxSeq: levels[0] ?? 0,
    bundles,
    tags,
    mains,
    cluster: heads[0]?.record.cluster,
  };
}

/** Index keys listed now that were not there when `state` was read (a concurrent push). */
export function unseenSince(
  state: RemoteState,
  listedNow: readonly string[],
  own: ReadonlySet<string>,
): string[] {
  const known = new Set(state.listed);
  return listedNow.filter((k) => seqOfIndexKey(k) !== undefined && !known.has(k) && !own.has(k));
}

/** The refs a bundle file's header names, and its prerequisites (the v2/v3 header, text up to a blank line). */
export function parseBundleHeader(bytes: Uint8Array): {
  refs: Record<string, string>;
  prerequisites: string[];
} {
  const end = indexOfBlankLine(bytes);
  const text = new TextDecoder().decode(bytes.subarray(0, end));
  const lines = text.split("\n");
  if (!/^# v[23] git bundle$/.test(lines[0] ?? "")) {
    throw new ConfvaultError("VERIFY_FAILED", "not a git bundle", "the object was damaged or replaced");
  }
  const refs: Record<string, string> = {};
  const prerequisites: string[] = [];
  for (const line of lines.slice(1)) {
    if (line === "" || line.startsWith("@")) continue;
    if (line.startsWith("-")) prerequisites.push(line.slice(1, 41));
    else {
      const [oid, ref] = line.split(" ");
      if (oid && ref) refs[ref] = oid;
    }
  }
  return { refs, prerequisites };
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 1; i < Math.min(bytes.length, 64 * 1024 * 1024); i++) {
    if (bytes[i] === 0x0a && bytes[i - 1] === 0x0a) return i;
  }
  return Math.min(bytes.length, 4096);
}
