import type { GitCli } from "./git-cli.ts";
import { fsyncDir, pathExists, type RepoFs, randomSuffix, writeFileAtomic } from "./repo-fs.ts";

/**
 * Config of a confvault repository: bare, never auto-gc'd behind our back (maintenance runs it
 * under our lock), no user-specific settings, git's own writes (gc, pack-refs) fsync'd.
 */
const CONFIG = `[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = true
\tlogallrefupdates = false
\tfsync = committed
[gc]
\tauto = 0
\tautoDetach = false
[receive]
\tfsckObjects = true
`;

const REQUIRED: Array<[string, string]> = [
  ["core.bare", "true"],
  ["gc.auto", "0"],
];

/**
 * Creates the bare repository (idempotent). HEAD is written last: a folder without it is not
 * a repository yet, so an interrupted init is simply redone.
 */
export async function initBareRepo(fs: RepoFs, gitdir: string, git: GitCli, durable: boolean): Promise<void> {
  const head = `${gitdir}/HEAD`;
  if (await pathExists(fs, head)) {
    await ensureConfig(git);
    return;
  }
  for (const dir of ["objects/info", "objects/pack", "refs/heads", "refs/tags", "info"]) {
    await fs.promises.mkdir(`${gitdir}/${dir}`, { recursive: true });
  }
  const opts = (name: string) => ({ durable, tempPath: `${gitdir}/${name}.${randomSuffix()}.tmp` });
  await writeFileAtomic(fs, `${gitdir}/config`, CONFIG, opts("config"));
  await writeFileAtomic(
    fs,
    `${gitdir}/description`,
    "confvault configuration history\n",
    opts("description"),
  );
  await writeFileAtomic(fs, head, "ref: refs/heads/main\n", opts("HEAD"));
  if (durable) await fsyncDir(fs, gitdir);
}

/** An existing repository (older confvault, or made by hand) gets the settings we rely on. */
async function ensureConfig(git: GitCli): Promise<void> {
  for (const [key, value] of REQUIRED) {
    const current = await git.run(["config", "--get", key], { allowFailure: true });
    if (current.stdout.trim() !== value) await git.run(["config", key, value]);
  }
}
