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

/**
 * Lets the plain git CLI check restore points (`git verify-commit`, `git verify-tag`,
 * `git log --show-signature`): `gpg.format=ssh` and `gpg.ssh.allowedSignersFile`. Reads the
 * config file first and spawns git only when a setting is missing or points elsewhere (a
 * moved home), so calling it on every apply costs one small read.
 */
export async function ensureSigningConfig(
  fs: RepoFs,
  git: GitCli,
  allowedSignersFile: string,
): Promise<boolean> {
  let text = "";
  try {
    text = String(await fs.promises.readFile(`${git.gitdir}/config`, "utf8"));
  } catch {
    // no config yet: set both
  }
  let current = "";
  let formatOk = false;
  let fileOk = false;
  for (const line of text.split("\n")) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      current = header[1]!.trim().toLowerCase();
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1) continue;
    const key = `${current}.${line.slice(0, eq).trim().toLowerCase()}`;
    if (key === "gpg.format") formatOk = configValue(line) === "ssh";
    if (key === 'gpg "ssh".allowedsignersfile') fileOk = configValue(line) === allowedSignersFile;
  }
  if (!formatOk) await git.run(["config", "gpg.format", "ssh"]);
  if (!fileOk) await git.run(["config", "gpg.ssh.allowedSignersFile", allowedSignersFile]);
  return !formatOk || !fileOk;
}

/** The value of a `key = value` config line as git wrote it (quoted when it holds specials). */
function configValue(line: string): string {
  const raw = line.slice(line.indexOf("=") + 1).trim();
  if (!raw.startsWith('"')) return raw;
  return raw.slice(1, raw.lastIndexOf('"')).replace(/\\(["\\])/g, "$1");
}
