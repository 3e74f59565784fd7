import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { changeAuthor } from "../core/change-author.ts";
import { packageFile } from "../core/package-files.ts";
import { inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { GithubConfig } from "./github-config.ts";
import { type PackedConfvault, packConfvault, VENDOR_DIR } from "./pack-confvault.ts";
import { openReviewRepo } from "./review-repo.ts";

export interface InitReviewRepoResult {
  branch: string;
  commit: string;
  files: string[];
  /** False when the branch already held these files byte for byte. */
  changed: boolean;
}

/**
 * Writes templates/repo/ (README, .gitattributes, CODEOWNERS, the verify workflow) and this
 * confvault as a pinned tarball (`vendor/confvault-<version>.tgz`, whose SHA-256 the workflow
 * checks before installing it) into the GitHub repository's review branch as one commit, on top
 * of what is there (or as its first). An older vendored tarball is replaced.
 */
export async function initReviewRepo(options: {
  ctx: HomeContext;
  github: GithubConfig;
  actor: string;
  /** How the tarball is made (default: `npm pack` of the running package). */
  pack?: () => Promise<PackedConfvault>;
}): Promise<InitReviewRepoResult> {
  const { ctx, github } = options;
  try {
    const dir = fileURLToPath(packageFile("templates/repo/"));
    const tarball = await (options.pack ?? packConfvault)();
    const values: Record<string, string> = {
      owner: github.owner,
      repo: github.repo,
      branch: github.branch,
      cluster: ctx.settings.cluster,
      profile: ctx.profile.name,
      version: tarball.version,
      tarball: tarball.path,
      tarballSha256: tarball.sha256,
    };
    const templates: Record<string, Uint8Array> = {};
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      const text = (await readFile(full, "utf8")).replace(/\{\{(\w+)\}\}/g, (m, k: string) => values[k] ?? m);
      templates[path.relative(dir, full).split(path.sep).join("/")] = new TextEncoder().encode(text);
    }
    templates[tarball.path] = tarball.bytes;
    const repo = await openReviewRepo(ctx, github);
    const base = await repo.fetchBranch(github.branch);
    const engine = repo.engine();
    const files: Record<string, Uint8Array> = {};
    let same = base !== null;
    if (base) for (const f of await engine.listFiles(base)) files[f] = await engine.readFile(base, f);
    for (const f of Object.keys(files)) {
      // Another version's tarball goes: the workflow installs exactly the one it names.
      if (f.startsWith(`${VENDOR_DIR}/confvault-`) && f !== tarball.path) {
        delete files[f];
        same = false;
      }
    }
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
      message: `chore: confvault review repository (README, .gitattributes, CODEOWNERS, verify workflow, confvault ${tarball.version} pinned as ${tarball.path})\n\nsha256 ${tarball.sha256}\n`,
      author: changeAuthor(ctx, options.actor),
      expectedParent: base,
    });
    await repo.pushCommit(commit, github.branch);
    return { branch: github.branch, commit, files: Object.keys(templates).sort(), changed: true };
  } catch (err) {
    throw inOperation("github init-repo", err);
  }
}
