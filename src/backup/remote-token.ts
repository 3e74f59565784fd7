import { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { Remote } from "./remote-store.ts";

export function tokenFile(tokensDir: string, name: string): string {
  return path.join(tokensDir, `${name}.token`);
}

/** Stores a remote's token in `<home>/remotes/NAME.token` (mode 0600, folder 0700). */
export async function writeRemoteToken(tokensDir: string, name: string, token: string): Promise<string> {
  const value = token.trim();
  if (value === "" || /[\r\n]/.test(value)) {
    throw new ConfvaultError(
      "BAD_INPUT",
      "the remote token is empty or spans several lines",
      "pass the token alone on one line",
    );
  }
  await fsp.mkdir(tokensDir, { recursive: true, mode: 0o700 });
  const file = tokenFile(tokensDir, name);
  await writeFileAtomic(file, new TextEncoder().encode(`${value}\n`), { mode: 0o600 });
  await fsp.chmod(file, 0o600);
  return file;
}

/**
 * The token for a remote: its environment variable when the definition names one, else the
 * token file, else none (a public or ssh remote). A named variable that is unset is an error:
 * pushing without the token would fail later with a vaguer message.
 */
export async function resolveRemoteToken(
  remote: Remote,
  tokensDir: string,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  if (remote.tokenEnv !== undefined) {
    const value = env[remote.tokenEnv]?.trim();
    if (value) return value;
    throw new ConfvaultError(
      "REMOTE_FAILED",
      `remote ${remote.name} takes its token from $${remote.tokenEnv}, which is not set`,
      `export ${remote.tokenEnv}=… before pushing, or re-add the remote with another --token-env`,
      { remote: remote.name },
    );
  }
  const file = tokenFile(tokensDir, remote.name);
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const st = await fsp.stat(file);
  if ((st.mode & 0o077) !== 0) {
    throw new ConfvaultError(
      "REMOTE_FAILED",
      `token file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)})`,
      `run: chmod 600 ${file}`,
      {
        remote: remote.name,
      },
    );
  }
  return text.trim() || undefined;
}

/** HTTP Basic credentials for a token, as git hosts expect them (token as the password). */
export function basicAuthHeader(username: string, token: string): string {
  return `Authorization: Basic ${Buffer.from(`${username}:${token}`).toString("base64")}`;
}

/**
 * Environment that makes the git CLI send the token with every request of one command, without
 * putting it on the command line (visible in `ps`) or in any config file (GIT_CONFIG_COUNT, git ≥ 2.31).
 */
export function gitAuthEnv(username: string, token: string | undefined): Record<string, string> {
  if (token === undefined) return {};
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: basicAuthHeader(username, token),
  };
}
