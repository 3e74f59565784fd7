import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { changeAuthor } from "../core/change-author.ts";
import { packageFile } from "../core/package-files.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { GithubConfig } from "./github-config.ts";
import { openReviewRepo } from "./review-repo.ts";

export interface InitReviewRepoResult {
  branch: string;
  commit: string;
  files: string[];
  /** False when the branch already held these files byte for byte. */
  changed: boolean;
}

/**
 * Writes templates/repo/ (README, .gitattributes, CODEOWNERS, the verify workflow) into the
 * GitHub repository's review branch as one commit, on top of what is there (or as its first).
 */
export async function initReviewRepo(options: {
  ctx: HomeContext;
  github: GithubConfig;
  actor: string;
}): Promise<InitReviewRepoResult> {
  const { ctx, github } = options;
  try {
    const dir = fileURLToPath(packageFile("templates/repo/"));
    const values: Record<string, string> = {
      owner: github.owner,
      repo: github.repo,
      branch: github.branch,
      cluster: ctx.settings.cluster,
      profile: ctx.profile.name,
    };
    const templates: Record<string, Uint8Array> = {};
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const text = (await readFile(full, "utf8")).replace(/\{\{(\w+)\}\}/g, (m, k: string) => values[k] ?? m);
      templates[path.relative(dir, full).split(path.sep).join("/")] = new TextEncoder().encode(text);
    }
    const repo = await openReviewRepo(ctx, github);
    const base = await repo.fetchBranch(github.branch);
    const engine = repo.engine();
    const files: Record<string, Uint8Array> = {};
    let same = base !== null;
    if (base) for (const f of await engine.listFiles(base)) files[f] = await engine.readFile(base, f);
    for (const [name, bytes] of Object.entries(templates)) {
      const old = files[name];
      if (!old || Buffer.compare(old, bytes) !== 0) same = false;
      files[name] = bytes;
    }
    if (same && base)
      return { branch: github.branch, commit: base, files: Object.keys(templates), changed: false };
    const local = `confvault-init/${ctx.now().getTime()}`;
    if (base) await repo.setBranch(local, base);
    const commit = await engine.commitFiles({
      branch: local,
      files,
      message: "chore: confvault review repository (README, .gitattributes, CODEOWNERS, verify workflow)\n",
      author: changeAuthor(ctx, options.actor),
      expectedParent: base,
    });
    await repo.pushCommit(commit, github.branch);
    return { branch: github.branch, commit, files: Object.keys(templates).sort(), changed: true };
  } catch (err) {
    throw inOperation("github init-repo", err);
  }
}
