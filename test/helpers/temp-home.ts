import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type InitOptions, initHome } from "../../src/api/init-home.ts";
import type { HomeContext } from "../../src/home/context.ts";
import { openHome } from "../../src/home/open-home.ts";

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SHARED_FIXTURES = path.resolve(ROOT, "../shared/fixtures/real");
export const TEST_KEY = "test-activation-key-0123456789abcdef";

export async function tempDir(prefix = "confvault-test-"): Promise<string> {
  return await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TempHome {
  dir: string;
  liveRoot: string;
  ctx: HomeContext;
  env: Record<string, string>;
  tokens: { name: string; role: string; token: string }[];
  cleanup(): Promise<void>;
}

/** A fresh home in a temp folder whose live root lies inside it; activation key from the environment. */
export async function tempHome(options: Partial<InitOptions> = {}): Promise<TempHome> {
  const base = await tempDir();
  const dir = path.join(base, "home");
  const liveRoot = path.join(base, "live");
  const env = { CONFVAULT_ACTIVATION_KEY: TEST_KEY };
  const init = await initHome({
    dir,
    liveRoot,
    node: "node1",
    cluster: "test",
    keyFromEnv: true,
    ...options,
  });
  const ctx = await openHome({ dir, env });
  return {
    dir,
    liveRoot,
    ctx,
    env,
    tokens: init.tokens,
    cleanup: () => fsp.rm(base, { recursive: true, force: true }),
  };
}

export async function git(gitdir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", [`--git-dir=${gitdir}`, ...args], {
    maxBuffer: 256 * 1024 * 1024,
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: "1" },
  });
  return stdout;
}

export async function sharedFixture(name: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await fsp.readFile(path.join(SHARED_FIXTURES, name)));
  } catch {
    return undefined;
  }
}

export async function sharedFixturesAvailable(): Promise<boolean> {
  return (await fsp.stat(SHARED_FIXTURES).catch(() => undefined)) !== undefined;
}

/** Runs the CLI as a separate process (as a user would) and returns its exit code and output. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return await new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [path.join(ROOT, "bin/confvault.js"), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** The one error object a `--json` CLI run writes as its last stderr line. */
export function cliError(run: { stderr: string }): { code: string; message: string; hint: string } {
  return JSON.parse(run.stderr.trim().split("\n").at(-1)!).error;
}

export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);
