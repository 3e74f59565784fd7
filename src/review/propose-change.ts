import { changeAuthor } from "../core/change-author.ts";
import { changeSigner } from "../core/change-signer.ts";
import { renderCommitMessage } from "../core/commit-message.ts";
import { currentCertKey, tagOf } from "../core/current-cert-key.ts";
import { encodeManifest } from "../core/manifest.ts";
import {
  CONFIG_FILE,
  KEYRING_FILE,
  MANIFEST_FILE,
  prepareSnapshot,
  SEALED_FILE,
} from "../core/prepare-snapshot.ts";
import { requireReason } from "../core/require-reason.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { GithubClient } from "./github-client.ts";
import type { GithubConfig } from "./github-config.ts";
import { pointFactsAt, policyReport } from "./policy-report.ts";
import { fenced, oneLine, renderTemplate } from "./render-template.ts";
import { openReviewRepo } from "./review-repo.ts";

export interface ProposeOptions {
  ctx: HomeContext;
  github: GithubConfig;
  client: GithubClient;
  config: Uint8Array;
  cert?: string;
  key?: string;
  reason: string;
  actor: string;
  /** Branch name after "propose/"; default: from the reason and the time. */
  slug?: string;
}

export interface ProposeResult {
  url: string;
  number: number;
  branch: string;
  commit: string;
}

const RESTORE_POINT_FILES = [CONFIG_FILE, SEALED_FILE, MANIFEST_FILE, KEYRING_FILE];
const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/**
 * Opens a pull request for a config change: validates, lifts and seals it exactly as an apply
 * would (nothing is applied), commits the restore point files on `propose/<slug>` on top of the
 * review branch of the GitHub repository, pushes it and opens the pull request whose body shows
 * the policy diff against the current restore point.
 */
export async function proposeChange({
  ctx,
  github,
  client,
  config,
  cert,
  key,
  reason,
  actor,
  slug,
}: ProposeOptions): Promise<ProposeResult> {
  try {
    const why = requireReason(reason, "propose");
    const name = slug ?? defaultSlug(why, ctx.now());
    if (!SLUG.test(name)) {
      throw new ConfvaultError(
        "BAD_USAGE",
        `--slug ${JSON.stringify(name)} is not a usable branch name`,
        "use letters, digits, '.', '_' or '-' (up to 80)",
      );
    }
    const branch = `propose/${name}`;
    const parent = await ctx.engine.branchTip("main");
    const pair = cert !== undefined || key !== undefined ? { cert, key } : await currentCertKey(ctx, parent);
    const prepared = await prepareSnapshot(ctx, { config, cert: pair.cert, key: pair.key, source: "merge" });
    if (prepared.unchanged) {
      throw new ConfvaultError(
        "NOTHING_TO_DO",
        "the config is identical to the current restore point: nothing to propose",
        "edit the config first",
      );
    }
    const manifestBytes = encodeManifest(prepared.manifest);

    const repo = await openReviewRepo(ctx, github);
    const base = await repo.fetchBranch(github.branch);
    if (!base) {
      throw new ConfvaultError(
        "NOT_FOUND",
        `${github.owner}/${github.repo} has no branch ${github.branch}`,
        "run `confvault github init-repo` first",
      );
    }
    const engine = repo.engine();
    const files: Record<string, Uint8Array> = {};
    for (const file of await engine.listFiles(base)) {
      if (!RESTORE_POINT_FILES.includes(file)) files[file] = await engine.readFile(base, file);
    }
    Object.assign(files, prepared.files, { [MANIFEST_FILE]: manifestBytes });
    const message = renderCommitMessage({
      subject: `propose: ${why.split("\n")[0]}`,
      reason: why,
      actor,
      source: "merge",
      node: ctx.settings.node,
      trailers: {
        "Confvault-Sequence": String(prepared.manifest.sequence),
        ...(parent ? { "Confvault-Base-Commit": parent } : {}),
      },
    });
    await repo.setBranch(branch, base);
    const commit = await engine.commitFiles({
      branch,
      files,
      message,
      author: changeAuthor(ctx, actor),
      expectedParent: base,
      sign: await changeSigner(ctx),
    });
    await repo.pushCommit(commit, branch);

    const baseTag = parent ? ((await tagOf(ctx, parent)) ?? parent.slice(0, 12)) : undefined;
    const before = parent ? await pointFactsAt(ctx, parent, baseTag ?? parent) : null;
    const report = policyReport(ctx, before, {
      committedConfig: prepared.files[CONFIG_FILE]!,
      manifest: prepared.manifest,
      label: branch,
    });
    const keys = await ctx.keys();
    const validation = [
      `- ✅ config.xml well-formed (root \`<${prepared.scan.rootName}>\`, ${prepared.scan.encoding}, ${prepared.applied.length} bytes)`,
      `- ✅ ${prepared.manifest.secrets.count} secret value(s) lifted and sealed to ${keys.recipients.length} recipient(s)`,
      "- ✅ leak guard: no plaintext private key or secret in the committed files",
      ...prepared.warnings.map((w) => `- ⚠️ ${w}`),
    ].join("\n");
    const values = {
      reason: why,
      reasonLine: oneLine(why, 200),
      actor: oneLine(actor, 100),
      node: ctx.settings.node,
      cluster: ctx.settings.cluster,
      profile: ctx.profile.name,
      baseTag: baseTag ? `\`${baseTag}\`` : "(none yet)",
      changeCount: String(report.changeCount),
      policy: fenced(report.policy),
      certificate: report.certificate,
      secrets:
        report.secrets.length > 0 ? report.secrets.map((s) => `- ${s}`).join("\n") : "no secret changed",
      validation,
      unified: fenced(report.unified, "diff"),
      unifiedStats: report.unifiedStats,
      context: github.statusContext,
    };
    const title = oneLine(await renderTemplate("pr-title.txt", values), 250);
    const body = await renderTemplate("pr-body.md", values);
    const pr = await client.rest.pulls.create({
      owner: github.owner,
      repo: github.repo,
      title,
      body,
      head: branch,
      base: github.branch,
    });
    ctx.logger.info({ pr: pr.data.number, branch, commit }, "pull request opened");
    return { url: pr.data.html_url, number: pr.data.number, branch, commit };
  } catch (err) {
    throw inOperation("propose", err);
  }
}

function defaultSlug(reason: string, now: Date): string {
  const words = reason
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${words || "change"}-${stamp}`;
}
