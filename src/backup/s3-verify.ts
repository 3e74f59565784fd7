import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import { createGitCli } from "../repo/git-cli.ts";
import type { ObjectStore } from "./s3-adapter.ts";
import { checkSignature, type LoadedRecord, parseBundleHeader, readRemoteState } from "./s3-index.ts";
import { downloadBundle, pooled } from "./s3-recover.ts";

export interface S3BundleCheck {
  key: string;
  ok: boolean;
  checks: string[];
  error?: { code: string; message: string };
}

export interface S3VerifyResult {
  remote: string;
  where: string;
  ok: boolean;
  /** Head index records and their signature result. */
  index: Array<{ key: string; seq: number; ok: boolean; error?: string }>;
  bundles: S3BundleCheck[];
  main: string | null;
  tags: number;
  /** `git fsck --strict` of the repository rebuilt from the bundles. */
  fsck: string;
}

/**
 * Checks an S3 remote end to end: every head index record's Ed25519 signature (by a key this
 * home trusts), every bundle's size and sha256 against the index, `git bundle verify` of each
 * in order in a scratch repository the earlier bundles were applied to, that each bundle
 * carries the refs the index says, that main and every tag of the index resolve, and
 * `git fsck --strict` of the result. Reports every problem; throws only when the bucket
 * cannot be read at all.
 */
export async function verifyS3Remote(options: {
  store: ObjectStore;
  remote: string;
  trusted: readonly Uint8Array[];
}): Promise<S3VerifyResult> {
  const { store } = options;
  const index: S3VerifyResult["index"] = [];
  const state = await readRemoteState(store, async (l: LoadedRecord) => {
    try {
      await checkSignature(store.where, l, options.trusted);
      index.push({ key: l.key, seq: l.record.seq, ok: true });
    } catch (err) {
      index.push({ key: l.key, seq: l.record.seq, ok: false, error: (err as Error).message });
    }
  });
  const result: S3VerifyResult = {
    remote: options.remote,
    where: store.where,
    ok: index.length > 0 && index.every((i) => i.ok),
    index,
    bundles: [],
    main: state.mains[0] ?? null,
    tags: Object.keys(state.tags).length,
    fsck: "",
  };
  if (state.heads.length === 0) {
    result.fsck = `${store.where} holds no index records (index/): nothing was pushed there yet`;
    return result;
  }
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-s3-verify-"));
  try {
    const gitdir = path.join(scratch, "check.git");
    const git = createGitCli({ gitdir });
    await git.run(["init", "--quiet", "--bare", "--initial-branch=main", gitdir]);
    // Downloads run ahead (a few in flight); the git checks go in order, each bundle on top of
    // the ones before it.
    const downloads = pooled(state.bundles, 8, (entry) => downloadBundle(store, entry));
    for (const [i, entry] of state.bundles.entries()) {
      const check: S3BundleCheck = { key: entry.key, ok: false, checks: [] };
      result.bundles.push(check);
      try {
        const bytes = await downloads[i]!;
        check.checks.push("sha256 and size match the index");
        const header = parseBundleHeader(bytes);
        const same =
          JSON.stringify(Object.entries(header.refs).sort()) ===
          JSON.stringify(Object.entries(entry.refs).sort());
        if (!same) throw failed("the bundle's refs differ from the index's");
        check.checks.push("refs match the index");
        const file = path.join(scratch, "b.bundle");
        await fsp.writeFile(file, bytes);
        const v = await git.run(["bundle", "verify", "--quiet", file], { allowFailure: true });
        if (v.exitCode !== 0)
          throw failed(`git bundle verify: ${v.stderr.trim().split("\n").slice(-2).join(" ")}`);
        check.checks.push("git bundle verify");
        const u = await git.run(["bundle", "unbundle", file], { allowFailure: true });
        if (u.exitCode !== 0)
          throw failed(`git bundle unbundle: ${u.stderr.trim().split("\n").slice(-2).join(" ")}`);
        check.ok = true;
      } catch (err) {
        check.error = {
          code: isConfvaultError(err) ? err.code : "VERIFY_FAILED",
          message: (err as Error).message,
        };
        result.ok = false;
      }
    }
    const refs = [
      ...(result.main ? [`${result.main} refs/heads/main`] : []),
      ...Object.entries(state.tags).map(([n, oid]) => `${oid} refs/tags/${n}`),
    ];
    if (refs.length > 0) {
      await fsp.writeFile(path.join(gitdir, "packed-refs"), `# pack-refs with: \n${refs.join("\n")}\n`);
      const fsck = await git.run(["fsck", "--strict", "--no-progress", "--no-dangling"], {
        allowFailure: true,
      });
      result.fsck = `${fsck.stdout}${fsck.stderr}`.trim();
      if (fsck.exitCode !== 0) result.ok = false;
    }
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
  return result;
}

function failed(message: string): ConfvaultError {
  return new ConfvaultError("VERIFY_FAILED", message, "push again from a home that has the history");
}
