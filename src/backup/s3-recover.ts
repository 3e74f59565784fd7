import { promises as fsp } from "node:fs";
import path from "node:path";
import { sha256Hex } from "../core/manifest.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { GitCli } from "../repo/git-cli.ts";
import { parseSshPublicKey } from "../seal/signing-key.ts";
import { remoteRefFor } from "./fetch-from-remote.ts";
import { type ObjectStore, openRemoteStore } from "./s3-adapter.ts";
import {
  type BundleEntry,
  checkSignature,
  type LoadedRecord,
  type RemoteState,
  readRemoteState,
} from "./s3-index.ts";
import { type S3RemoteSettings, s3RemoteSchema } from "./s3-settings.ts";

export interface S3FetchResult {
  state: RemoteState;
  /** The merged main (the heads' mains are ancestors of it when several raced). */
  main: string | null;
  tags: Record<string, string>;
  warnings: string[];
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export function pooled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R>[] {
  const results: Promise<R>[] = [];
  let running = 0;
  const queue: Array<() => void> = [];
  for (const [i, item] of items.entries()) {
    results.push(
      (async () => {
        if (running >= limit) await new Promise<void>((r) => queue.push(r));
        running++;
        try {
          return await fn(item, i);
        } finally {
          running--;
          queue.shift()?.();
        }
      })(),
    );
  }
  for (const p of results) p.catch(() => {});
  return results;
}

/** Downloads one bundle and checks its size and sha256 against the index. */
export async function downloadBundle(store: ObjectStore, entry: BundleEntry): Promise<Uint8Array> {
  const bytes = await store.get(entry.key);
  const sha = await sha256Hex(bytes);
  if (bytes.length !== entry.size || sha !== entry.sha256) {
    throw new ConfvaultError(
      "VERIFY_FAILED",
      `bundle ${store.where}/${entry.key} does not match the index (sha256 ${sha.slice(0, 16)}…, ${bytes.length} bytes; the index says ${entry.sha256.slice(0, 16)}…, ${entry.size} bytes)`,
      "the object was damaged or replaced in the bucket; recover from another copy, or push again from a home that has the history",
      { key: entry.key, expected: entry.sha256, actual: sha },
    );
  }
  return bytes;
}

/**
 * Rebuilds a (fresh, empty) repository from an S3 remote: reads the index heads (each checked by
 * `verify`, which may run in the background and is awaited before any bundle is applied),
 * downloads every bundle with a few requests in flight, checks each against its sha256 and
 * applies them in order with `git bundle unbundle`, then writes main and every tag at once
 * (packed-refs) and packs the result.
 */
export async function fetchFromS3(options: {
  store: ObjectStore;
  git: GitCli;
  /** Checks a head record (signature); its promise is awaited before the first bundle is applied. */
  verify: (loaded: LoadedRecord) => Promise<void>;
  scratch: string;
  onBundle?: (done: number, total: number) => void;
}): Promise<S3FetchResult> {
  const { store, git } = options;
  const checks: Promise<void>[] = [];
  const state = await readRemoteState(store, async (l) => {
    const p = options.verify(l);
    p.catch(() => {});
    checks.push(p);
  });
  if (state.heads.length === 0) {
    throw new ConfvaultError(
      "REF_NOT_FOUND",
      `${store.where} holds no confvault history (no index records under index/)`,
      "check the bucket and prefix (s3://bucket/prefix) and --endpoint; push to it with `confvault remote push NAME`",
      { where: store.where },
    );
  }
  await fsp.mkdir(options.scratch, { recursive: true });
  const downloads = pooled(state.bundles, 8, async (entry, i) => {
    const bytes = await downloadBundle(store, entry);
    const file = path.join(options.scratch, `${String(i).padStart(6, "0")}.bundle`);
    await fsp.writeFile(file, bytes);
    return file;
  });
  await Promise.all(checks);
  for (const [i, pending] of downloads.entries()) {
    const file = await pending;
    const r = await git.run(["bundle", "unbundle", file], { allowFailure: true });
    if (r.exitCode !== 0) {
      throw new ConfvaultError(
        "VERIFY_FAILED",
        `bundle ${store.where}/${state.bundles[i]!.key} could not be applied: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`,
        "run `confvault verify --remote NAME` from a home that pushes there",
        { key: state.bundles[i]!.key },
      );
    }
    await fsp.rm(file, { force: true });
    options.onBundle?.(i + 1, state.bundles.length);
  }
  const warnings: string[] = [];
  let main = state.heads[0]!.record.main;
  if (state.mains.length > 1) {
    // Concurrent pushes left several heads: main is the one the others lead to.
    const descendant = await (async () => {
      for (const candidate of state.mains) {
        let all = true;
        for (const other of state.mains) {
          if (other === candidate) continue;
          const r = await git.run(["merge-base", "--is-ancestor", other, candidate], { allowFailure: true });
          if (r.exitCode !== 0) all = false;
        }
        if (all) return candidate;
      }
      return undefined;
    })();
    if (descendant) main = descendant;
    else
      warnings.push(
        `${store.where} holds diverged mains (${state.mains.map((m) => m.slice(0, 12)).join(", ")}); took the newest record's`,
      );
  }
  const refs: Array<[string, string]> = [
    ...(main ? ([["refs/heads/main", main]] as Array<[string, string]>) : []),
    ...Object.entries(state.tags).map(([name, oid]) => [`refs/tags/${name}`, oid] as [string, string]),
  ];
  const missing = await missingObjects(
    git,
    refs.map(([, oid]) => oid),
  );
  if (missing.length > 0) {
    throw new ConfvaultError(
      "VERIFY_FAILED",
      `${store.where}: the index names ${missing.length} object(s) no bundle holds (${missing.slice(0, 3).join(", ")})`,
      "run `confvault verify --remote NAME` from a home that pushes there",
      { missing: missing.slice(0, 20) },
    );
  }
  await writePackedRefs(git.gitdir, refs);
  if (state.bundles.length > 1) await git.run(["repack", "-a", "-d", "-q"]);
  return { state, main, tags: state.tags, warnings };
}

async function missingObjects(git: GitCli, oids: readonly string[]): Promise<string[]> {
  if (oids.length === 0) return [];
  const r = await git.run(["cat-file", "--batch-check=%(objectname) %(objecttype)"], {
    input: `${oids.join("\n")}\n`,
  });
  return r.stdout
    .split("\n")
    .filter((l) => l.endsWith(" missing"))
    .map((l) => l.split(" ")[0]!);
}

/**
 * Writes every ref into packed-refs in one file (a fresh repository has no refs yet): one
 * `update-ref` per ref would write 2,000 loose ref files.
 */
async function writePackedRefs(gitdir: string, refs: ReadonlyArray<[string, string]>): Promise<void> {
  const sorted = [...refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = `# pack-refs with: sorted \n${sorted.map(([ref, oid]) => `${oid} ${ref}\n`).join("")}`;
  const file = path.join(gitdir, "packed-refs");
  await fsp.writeFile(`${file}.tmp`, body);
  await fsp.rename(`${file}.tmp`, file);
  for (const [ref] of sorted) await fsp.rm(path.join(gitdir, ref), { force: true });
}

/**
 * The s3 branch of `recover`: the whole history into the new home's (empty) repository, the
 * index checked against the signing key the activation key derives for the index's cluster.
 */
export async function recoverFromS3(options: {
  url: string;
  settings: Partial<S3RemoteSettings> | undefined;
  env: Record<string, string | undefined>;
  git: GitCli;
  scratch: string;
  /** Restore point wanted ("main" or absent: the latest). */
  ref: string | undefined;
  /** Raw Ed25519 public key this activation key signs with in `cluster`. */
  signerFor: (cluster: string) => Promise<Uint8Array>;
}): Promise<{ ref: string; main: string | null; warnings: string[]; bundles: number }> {
  const store = await openRemoteStore({
    url: options.url,
    name: "origin",
    settings: s3RemoteSchema.parse(options.settings ?? {}),
    tokensDir: undefined,
    env: options.env,
  });
  try {
    const got = await fetchFromS3({
      store,
      git: options.git,
      scratch: options.scratch,
      verify: async (l) => {
        if (typeof l.record.cluster !== "string" || l.record.cluster === "")
          throw new ConfvaultError(
            "VERIFY_FAILED",
            `index record ${l.key} names no cluster`,
            "the bucket was altered",
          );
        const expected = await options.signerFor(l.record.cluster);
        const named = parseSshPublicKey(l.record.signature?.key ?? "");
        if (named && !(named.length === expected.length && named.every((b, i) => b === expected[i]))) {
          throw new ConfvaultError(
            "WRONG_KEY",
            `${store.where} was pushed by another key than the one this activation key derives for cluster '${l.record.cluster}'`,
            "use the activation key of the home that pushed there (CONFVAULT_ACTIVATION_KEY or --key-file); nothing was written",
            { key: l.key, cluster: l.record.cluster },
          );
        }
        await checkSignature(store.where, l, [expected]);
      },
    });
    const wanted = remoteRefFor(options.ref);
    const tagName = wanted.replace(/^refs\/tags\//, "");
    if (wanted === "refs/heads/main" ? got.main === null : !(tagName in got.tags)) {
      throw new ConfvaultError(
        "REF_NOT_FOUND",
        wanted === "refs/heads/main"
          ? `${store.where} has no main branch: it holds no confvault history`
          : `${store.where} has no restore point ${options.ref}`,
        "list the bucket's restore points with `confvault verify --remote NAME` from a home that pushes there",
        { ref: options.ref ?? "main" },
      );
    }
    return { ref: wanted, main: got.main, warnings: got.warnings, bundles: got.state.bundles.length };
  } finally {
    await fsp.rm(options.scratch, { recursive: true, force: true });
  }
}
