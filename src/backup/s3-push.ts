import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { knownSigningKeys } from "../core/change-signer.ts";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { RepoEngine } from "../repo/engine.ts";
import { createGitCli, type GitCli } from "../repo/git-cli.ts";
import type { Signer } from "../seal/signing-key.ts";
import type { PushOutcome } from "./push-remote.ts";
import type { Remote } from "./remote-store.ts";
import { type ObjectStore, openRemoteStore } from "./s3-adapter.ts";
import {
  type BundleEntry,
  bundleKey,
  checkSignature,
  INDEX_FORMAT,
  parseBundleHeader,
  readRemoteState,
  signIndex,
  unseenSince,
} from "./s3-index.ts";
import type { PushProgress } from "./transport.ts";

export interface S3PushOptions {
  engine: RepoEngine;
  store: ObjectStore;
  remote: string;
  signer: Signer;
  /** Public keys whose index records this home accepts (its own, the allowed signers). */
  trusted: readonly Uint8Array[];
  cluster: string;
  node: string;
  now: () => Date;
  onProgress?: (p: PushProgress) => void;
  /** Attempts when a concurrent push is seen (default 8). */
  attempts?: number;
  /** Write a complete bundle instead of an increment once the index lists this many (0: never). */
  fullBundleAfter?: number;
}

/** Which of `oids` the local repository has (one `git cat-file --batch-check`). */
export async function presentObjects(git: GitCli, oids: readonly string[]): Promise<Set<string>> {
  if (oids.length === 0) return new Set();
  const r = await git.run(["cat-file", "--batch-check=%(objectname)"], { input: `${oids.join("\n")}\n` });
  return new Set(
    r.stdout
      .split("\n")
      .filter((l) => /^[0-9a-f]{40,64}$/.test(l))
      .map((l) => l.trim()),
  );
}

async function isAncestor(git: GitCli, ancestor: string, descendant: string): Promise<boolean> {
  const r = await git.run(["merge-base", "--is-ancestor", ancestor, descendant], { allowFailure: true });
  return r.exitCode === 0;
}

/**
 * Pushes main and every restore point to an S3 remote as one incremental `git bundle` (only
 * what the bucket lacks: the new refs, minus everything reachable from the bucket's tips) and
 * a signed index record over the whole history. Never overwrites an object; a concurrent push
 * seen after writing makes it re-read and write the merge. Errors come back in the outcome.
 */
export async function pushS3(options: S3PushOptions): Promise<PushOutcome> {
  const { engine, store, remote, now } = options;
  const outcome: PushOutcome = { remote, url: store.where, ok: false, transport: "s3", updated: [] };
  const progress = (phase: string, done: number, total: number) =>
    options.onProgress?.({ remote, phase, done, total });
  const git = createGitCli({ gitdir: engine.gitdir });
  const own = new Set<string>();
  const updated = new Set<string>();
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-s3-push-"));
  try {
    const attempts = options.attempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      progress("index", 0, 4);
      const state = await readRemoteState(store, (l) => checkSignature(store.where, l, options.trusted));
      const [localMain, localTags] = await Promise.all([engine.branchTip("main"), engine.listTags("rp/")]);
      if (localMain === null) break;
      const present = await presentObjects(git, [
        ...state.mains,
        ...Object.values(state.tags),
        ...state.bundles.flatMap((b) => Object.values(b.refs)),
      ]);
      const ownHead = state.heads.some((h) => own.has(h.key));
      let foreignMain = false;
      for (const m of state.mains) {
        if (m === localMain) continue;
        if (present.has(m) && (await isAncestor(git, m, localMain))) continue;
        foreignMain = true;
      }
      if (foreignMain) {
        // Our own record from this run is a head: what we pushed is in the bucket; the pusher
        // that owns the other main merges the heads on its next push (readers merge them too).
        if (ownHead) break;
        throw new ConfvaultError(
          "REMOTE_DIVERGED",
          `${store.where} has a main (${state.mains
            .filter((m) => m !== localMain)
            .map((m) => m.slice(0, 12))
            .join(
              ", ",
            )}) that is not in this home's history (main ${localMain.slice(0, 12)}); nothing was pushed`,
          "another node pushed there; recover it into a scratch home to compare. confvault never overwrites objects in a bucket",
          { remote, remoteMains: state.mains, localMain },
        );
      }
      const clashes = localTags
        .filter((t) => t.name in state.tags && state.tags[t.name] !== t.oid)
        .map((t) => t.name);
      if (clashes.length > 0) {
        throw new ConfvaultError(
          "REMOTE_DIVERGED",
          `${store.where} has ${clashes.length} restore point(s) with the same name but other content (${clashes.slice(0, 3).join(", ")}); nothing was pushed`,
          "restore points are never moved; check which node made them before touching the bucket",
          { remote, clashes },
        );
      }
      const newTags = localTags.filter((t) => !(t.name in state.tags));
      const mainMoved = !state.mains.includes(localMain);
      if (newTags.length === 0 && !mainMoved && state.heads.length <= 1) break;
      const seq = state.maxSeq + 1;
      const bundles: BundleEntry[] = [...state.bundles];
      if (newTags.length > 0 || mainMoved) {
        progress("bundle", 1, 4);
        // A fresh complete bundle replaces the increments once there are many, provided this
        // home holds everything the bucket names (else the other refs would drop out).
        const limit = options.fullBundleAfter ?? 0;
        const bucketOids = new Set([...state.mains, ...Object.values(state.tags)]);
        const full =
          state.bundles.length === 0 ||
          (limit > 0 &&
            state.bundles.length >= limit &&
            [...bucketOids].every((o) => present.has(o)) &&
            Object.keys(state.tags).every((n) => localTags.some((t) => t.name === n)));
        if (full && state.bundles.length > 0) bundles.length = 0;
        const positives = full
          ? ["HEAD", "refs/heads/main", ...localTags.map((t) => `refs/tags/${t.name}`)]
          : [...(mainMoved ? ["refs/heads/main"] : []), ...newTags.map((t) => `refs/tags/${t.name}`)];
        // The bucket's mains exclude every commit it has; its tag objects are named too, for
        // tags on commits main does not reach.
        const negatives = full ? [] : [...present].map((o) => `^${o}`);
        const file = path.join(scratch, `push-${seq}-${attempt}.bundle`);
        const made = await git.run(["bundle", "create", "--quiet", file, "--stdin"], {
          input: `${[...positives, ...negatives].join("\n")}\n`,
          allowFailure: true,
        });
        if (made.exitCode !== 0) {
          throw new ConfvaultError(
            "GIT_FAILED",
            `git bundle create failed: ${made.stderr.trim().split("\n").slice(-2).join(" ")}`,
            "run `confvault verify` on this home",
            { stderr: made.stderr.trim() },
          );
        }
        const bytes = new Uint8Array(await fsp.readFile(file));
        const header = parseBundleHeader(bytes);
        const { key, sha256 } = await bundleKey(seq, bytes);
        progress("upload", 2, 4);
        await store.putNew(key, bytes, { contentType: "application/x-git-bundle" });
        bundles.push({
          key,
          sha256,
          size: bytes.length,
          refs: header.refs,
          prerequisites: header.prerequisites,
        });
      }
      const tags: Record<string, string> = { ...state.tags };
      for (const t of newTags) tags[t.name] = t.oid;
      const { key, bytes } = await signIndex(
        {
          format: INDEX_FORMAT,
          seq,
          parents: state.heads.map((h) => h.key),
          createdAt: now().toISOString(),
          cluster: options.cluster,
          node: options.node,
          main: localMain,
          tags,
          bundles,
        },
        options.signer,
      );
      progress("index", 3, 4);
      await store.putNew(key, bytes, { contentType: "application/json" });
      own.add(key);
      if (mainMoved) updated.add("main");
      for (const t of newTags) updated.add(t.name);
      progress("index", 4, 4);
      const raced = unseenSince(state, await store.list("index"), own);
      if (raced.length === 0) break;
      if (attempt >= attempts) {
        throw new ConfvaultError(
          "REMOTE_FAILED",
          `${store.where} kept changing under this push (${attempts} attempts); what was pushed is kept, the index is not merged yet`,
          "push again later: the next push merges the concurrent index records",
          { remote, raced },
        );
      }
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 80 * attempt)));
    }
    outcome.updated = [...updated].sort((a, b) => (a === "main" ? -1 : b === "main" ? 1 : a < b ? -1 : 1));
    outcome.ok = true;
  } catch (err) {
    const e = isConfvaultError(err)
      ? err
      : new ConfvaultError("REMOTE_FAILED", (err as Error)?.message ?? String(err), "see the log");
    outcome.error = { code: e.code, message: e.message, hint: e.hint };
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
  return outcome;
}

/** The `pushS3` hook of pushToRemotes for one home: opens the bucket, signs with the home's key. */
export function s3PushHandler(
  ctx: HomeContext,
  env: Record<string, string | undefined>,
): (remote: Remote, onProgress?: (p: PushProgress) => void) => Promise<PushOutcome> {
  return async (remote, onProgress) => {
    const store = await openRemoteStore({
      url: remote.url,
      name: remote.name,
      settings: remote.s3,
      tokensDir: ctx.layout.remoteTokens,
      env,
      now: ctx.now,
    });
    const [keys, trusted] = await Promise.all([ctx.keys(), knownSigningKeys(ctx)]);
    return await pushS3({
      engine: ctx.engine,
      store,
      remote: remote.name,
      signer: keys.signer,
      trusted,
      cluster: ctx.settings.cluster,
      node: ctx.settings.node,
      now: ctx.now,
      fullBundleAfter: remote.s3?.fullBundleAfter ?? 50,
      ...(onProgress ? { onProgress } : {}),
    });
  };
}
