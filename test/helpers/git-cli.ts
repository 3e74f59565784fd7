import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Environment for test-side git calls: no system/global config, fixed identity, no pager. */
export const gitTestEnv: Record<string, string> = {
  PATH: process.env.PATH ?? "",
  HOME: tmpdir(),
  LANG: "C",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

/** Runs git against a bare repository and returns stdout as text; throws on a non-zero exit. */
export function gitText(gitdir: string, ...args: string[]): string {
  return execFileSync("git", [`--git-dir=${gitdir}`, ...args], { env: gitTestEnv, encoding: "utf8" });
}

/** Same, returning stdout as raw bytes (for `git show rev:path`). */
export function gitBytes(gitdir: string, ...args: string[]): Buffer {
  return execFileSync("git", [`--git-dir=${gitdir}`, ...args], { env: gitTestEnv, maxBuffer: 1 << 30 });
}

/** Runs git without throwing: exit status and combined output. */
export function gitTry(gitdir: string | null, ...args: string[]): { status: number; output: string } {
  const argv = gitdir === null ? args : [`--git-dir=${gitdir}`, ...args];
  const r = spawnSync("git", argv, { env: gitTestEnv, encoding: "utf8" });
  return { status: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** A fresh folder under the OS temp dir; `cleanup()` removes it. */
export function tempDir(prefix = "confvault-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
