import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readRemotes } from "../backup/remote-store.ts";
import { openRemoteStore } from "../backup/s3-adapter.ts";
import { isS3Url } from "../backup/s3-settings.ts";
import { type S3VerifyResult, verifyS3Remote } from "../backup/s3-verify.ts";
import { knownSigningKeys } from "../core/change-signer.ts";
import { sha256Hex } from "../core/manifest.ts";
import { openSnapshot } from "../core/read-snapshot.ts";
import { ConfvaultError, inOperation, isConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";
import { recordDrills, sampleOf } from "../ops/drill-store.ts";
import { certificateFacts } from "../seal/certificate-facts.ts";
import { nodeX509 } from "../seal/node-x509.ts";
import { scanXml } from "../xml/scan-xml.ts";
import {
  checkSignatures,
  describeSignatures,
  type PointSignatures,
  signaturesOk,
} from "./verify-signatures.ts";

export interface VerifyOptions {
  ctx: HomeContext;
  /** One ref; default: the tip of main. */
  ref?: string;
  all?: boolean;
  /** Also restore each point into a scratch folder and check the written files. */
  drill?: boolean;
  /** Check this many restore points picked at random (instead of one ref or all). */
  sample?: number;
  /** Random source for `sample` (tests). */
  random?: () => number;
  /** Record drill results per restore point in `<home>/state/drills.json` (default: when drilling). */
  record?: boolean;
  /** Check this s3:// remote instead of the home: index signature, every bundle, fsck of the result. */
  remote?: string;
  /** Environment for the remote's credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). */
  env?: Record<string, string | undefined>;
}

export interface PointCheck {
  ref: string;
  commit: string;
  ok: boolean;
  checks: string[];
  /** SSH signatures of the commit and (for a restore point) its tag; "unsigned" for older points. */
  signatures?: PointSignatures;
  error?: { code: string; message: string };
}

export interface VerifyResult {
  ok: boolean;
  fsck: string;
  points: PointCheck[];
  /** With `remote`: what was checked in the bucket. */
  remote?: S3VerifyResult;
}

async function checkPoint(
  ctx: HomeContext,
  ref: string,
  drill: boolean,
  tagOid: string | undefined,
  knownKeys: readonly Uint8Array[],
): Promise<PointCheck> {
  const checks: string[] = [];
  let commit = "";
  let signatures: PointSignatures | undefined;
  try {
    commit = await ctx.engine.resolveCommit(ref);
    signatures = await checkSignatures(ctx, commit, tagOid, knownKeys);
    const snap = await openSnapshot(ctx, commit);
    checks.push("manifest hashes", "seal opened", "restored config.xml matches manifest");
    scanXml(snap.config);
    checks.push("config.xml well-formed");
    if (snap.bundle.cert !== undefined && snap.bundle.key !== undefined) {
      certificateFacts(snap.bundle.cert, snap.bundle.key, nodeX509, ctx.now());
      checks.push("certificate matches key");
    }
    if (drill) {
      const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-drill-"));
      try {
        const target = path.join(scratch, "config.xml");
        await writeFileAtomic(target, snap.config);
        const back = new Uint8Array(await fsp.readFile(target));
        if ((await sha256Hex(back)) !== snap.manifest.config.sha256) {
          throw new ConfvaultError(
            "VERIFY_FAILED",
            "the drill's written config.xml differs from the manifest",
            "check the disk",
          );
        }
        if (snap.bundle.cert !== undefined)
          await writeFileAtomic(path.join(scratch, "root.cer"), new TextEncoder().encode(snap.bundle.cert));
        if (snap.bundle.key !== undefined)
          await writeFileAtomic(path.join(scratch, "root.key"), new TextEncoder().encode(snap.bundle.key), {
            mode: 0o600,
          });
        checks.push("drill: restored into a scratch folder");
      } finally {
        await fsp.rm(scratch, { recursive: true, force: true });
      }
    }
    checks.push(...describeSignatures(signatures));
    if (!signaturesOk(signatures)) {
      throw new ConfvaultError(
        "VERIFY_FAILED",
        describeSignatures(signatures).join("; "),
        "the commit or tag was altered or signed by another key; compare with a remote copy",
      );
    }
    return { ref, commit, ok: true, checks, signatures };
  } catch (err) {
    const e = isConfvaultError(err) ? err : inOperation("verify", err);
    const out: PointCheck = { ref, commit, ok: false, checks, error: { code: e.code, message: e.message } };
    if (signatures) out.signatures = signatures;
    return out;
  }
}

/** Integrity of the repository (git fsck), the manifests and the seals of restore points. */
export async function verify({
  ctx,
  ref,
  all = false,
  drill = false,
  sample,
  random,
  record = drill,
  remote,
  env = {},
}: VerifyOptions): Promise<VerifyResult> {
  try {
    if (remote !== undefined) return await verifyRemote(ctx, remote, env);
    let fsck = "";
    let fsckOk = true;
    try {
      fsck = await ctx.engine.fsck();
    } catch (err) {
      if (!isConfvaultError(err, "VERIFY_FAILED")) throw err;
      fsckOk = false;
      fsck = err.message;
    }
    if (sample !== undefined && (!Number.isInteger(sample) || sample < 1)) {
      throw new ConfvaultError(
        "BAD_USAGE",
        `--sample needs a positive whole number, got ${sample}`,
        "e.g. --sample 5",
      );
    }
    const tagList =
      all || sample !== undefined
        ? await ctx.engine.listTags("rp/")
        : ref !== undefined
          ? await ctx.engine.listTags(ref.replace(/^refs\/tags\//, ""))
          : [];
    const tagOids = new Map(tagList.map((t) => [t.name, t.oid]));
    const tagNames = all || sample !== undefined ? tagList.map((t) => t.name) : [];
    const refs = all ? tagNames : sample !== undefined ? sampleOf(tagNames, sample, random) : [ref ?? "main"];
    if (!all && sample === undefined && ref === undefined && (await ctx.engine.branchTip("main")) === null) {
      return { ok: fsckOk, fsck, points: [] };
    }
    const points: PointCheck[] = [];
    const knownKeys = await knownSigningKeys(ctx);
    for (const r of refs) {
      const tagOid = tagOids.get(r.replace(/^refs\/tags\//, ""));
      points.push(await checkPoint(ctx, r, drill, tagOid, knownKeys));
    }
    if (drill && record && points.length > 0) await recordDrills(ctx.layout.state, points, ctx.now());
    return { ok: fsckOk && points.every((p) => p.ok), fsck, points };
  } catch (err) {
    throw inOperation("verify", err);
  }
}

async function verifyRemote(
  ctx: HomeContext,
  name: string,
  env: Record<string, string | undefined>,
): Promise<VerifyResult> {
  const def = (await readRemotes(ctx.layout.remotes)).find((r) => r.name === name);
  if (!def) {
    throw new ConfvaultError("NOT_FOUND", `no remote named ${name}`, "see `confvault remote list`", {
      remote: name,
    });
  }
  if (!isS3Url(def.url)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `verify --remote checks s3:// remotes; ${name} is a git remote`,
      "check a git remote with `git clone --bare URL scratch.git && git --git-dir=scratch.git fsck --strict`, or a recover drill",
    );
  }
  const store = await openRemoteStore({
    url: def.url,
    name,
    settings: def.s3,
    tokensDir: ctx.layout.remoteTokens,
    env,
    now: ctx.now,
  });
  const checked = await verifyS3Remote({ store, remote: name, trusted: await knownSigningKeys(ctx) });
  return { ok: checked.ok, fsck: checked.fsck, points: [], remote: checked };
}
