import { execFile } from "node:child_process";
import { ConfvaultError } from "../errors/confvault-error.ts";

export interface GitRunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface GitRunOptions {
  /** Bytes or text written to git's stdin. */
  input?: Uint8Array | string;
  /** Return a non-zero exit as a result instead of throwing GIT_FAILED. */
  allowFailure?: boolean;
  /** Extra environment (e.g. GIT_SSH_COMMAND for a remote). */
  env?: Record<string, string>;
  /** Called with each chunk of stderr as it arrives (progress of push/fetch with --progress). */
  onStderr?: (chunk: string) => void;
}

/** Runs the git CLI against one repository (`git --git-dir=<gitdir> …`). */
export interface GitCli {
  readonly gitdir: string;
  run(args: string[], options?: GitRunOptions): Promise<GitRunResult>;
}

export interface CreateGitCliOptions {
  gitdir: string;
  /** git executable (default "git", looked up on PATH). */
  binary?: string;
  timeoutMs?: number;
}

/**
 * A direct `execFile` adapter rather than simple-git: simple-git costs ~6× per call, v4 strips
 * the GIT_* variables we need (GIT_CONFIG_NOSYSTEM), and its API assumes a working tree while
 * our repository is bare. The environment is cleared down to PATH/HOME/LANG so a caller's
 * GIT_DIR, GIT_INDEX_FILE or pager settings can never leak into our repository.
 */
export function createGitCli({
  gitdir,
  binary = "git",
  timeoutMs = 10 * 60_000,
}: CreateGitCliOptions): GitCli {
  const baseEnv: Record<string, string> = { GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };
  for (const name of ["PATH", "HOME", "LANG"]) {
    const value = process.env[name];
    if (value !== undefined) baseEnv[name] = value;
  }
  return {
    gitdir,
    run(args, options = {}) {
      const argv = [`--git-dir=${gitdir}`, ...args];
      return new Promise((resolve, reject) => {
        const child = execFile(
          binary,
          argv,
          {
            env: { ...baseEnv, ...options.env },
            maxBuffer: 256 * 1024 * 1024,
            timeout: timeoutMs,
            windowsHide: true,
          },
          (error, stdout, stderr) => {
            const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
            if (error && (!options.allowFailure || exitCode === -1)) {
              const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
              reject(
                new ConfvaultError(
                  "GIT_FAILED",
                  `git ${args[0] ?? ""} failed: ${missing ? `'${binary}' not found` : stderr.trim() || error.message}`,
                  missing
                    ? "Install git (2.30 or newer) and make sure it is on PATH."
                    : "Run the same git command by hand with --git-dir to see the full error.",
                  { args, exitCode, stderr: stderr.trim() },
                  error,
                ),
              );
              return;
            }
            resolve({ stdout, stderr, exitCode });
          },
        );
        if (options.onStderr) {
          const onStderr = options.onStderr;
          child.stderr?.on("data", (chunk: Buffer | string) => onStderr(chunk.toString()));
        }
        if (options.input !== undefined) child.stdin?.end(options.input);
        else child.stdin?.end();
      });
    },
  };
}
