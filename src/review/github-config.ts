import { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

/** Everything the review code needs about the GitHub repository, resolved once at start-up. */
export interface GithubConfig {
  owner: string;
  repo: string;
  branch: string;
  apiUrl: string;
  /** https URL git pushes to and fetches from. */
  gitUrl: string;
  statusContext: string;
  syncWaitMs: number;
  /** From env CONFVAULT_GITHUB_TOKEN only. */
  token?: string;
  /** From env CONFVAULT_GITHUB_WEBHOOK_SECRET or the 0600 secret file. */
  webhookSecret?: string;
}

export const TOKEN_ENV = "CONFVAULT_GITHUB_TOKEN";
export const SECRET_ENV = "CONFVAULT_GITHUB_WEBHOOK_SECRET";

const EXAMPLE =
  '"github": { "owner": "acme", "repo": "proxy-policy", "branch": "main" } (optional: apiUrl, gitUrl, webhookSecretFile)';

/** True when the home's settings ask for GitHub review. */
export function githubConfigured(ctx: HomeContext): boolean {
  return ctx.settings.github !== undefined;
}

/**
 * Resolves the GitHub settings plus the token and webhook secret from the environment (or the
 * secret file), and refuses with one message naming everything that is missing.
 */
export async function resolveGithubConfig(
  ctx: HomeContext,
  env: Record<string, string | undefined>,
  needs: { token?: boolean; webhookSecret?: boolean } = {},
): Promise<GithubConfig> {
  const gh = ctx.settings.github;
  if (!gh) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `GitHub review is not configured: ${ctx.layout.settings} has no "github" object`,
      `add ${EXAMPLE} to settings.json and set ${TOKEN_ENV}`,
    );
  }
  const missing: string[] = [];
  const token = env[TOKEN_ENV]?.trim() || undefined;
  if (needs.token && !token) missing.push(`the API token (env ${TOKEN_ENV})`);
  const secretFile = path.resolve(ctx.layout.dir, gh.webhookSecretFile ?? "github-webhook.secret");
  let webhookSecret = env[SECRET_ENV]?.trim() || undefined;
  if (!webhookSecret) webhookSecret = await readSecretFile(secretFile);
  if (needs.webhookSecret && !webhookSecret) {
    missing.push(`the webhook secret (env ${SECRET_ENV}, or the file ${secretFile} with mode 0600)`);
  }
  if (missing.length > 0) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `GitHub review for ${gh.owner}/${gh.repo} is missing ${missing.join(" and ")}`,
      "set them in the environment of the service; they are never stored in settings.json or the repository",
      { missing },
    );
  }
  return {
    owner: gh.owner,
    repo: gh.repo,
    branch: gh.branch,
    apiUrl: gh.apiUrl.replace(/\/+$/, ""),
    gitUrl: gh.gitUrl ?? `https://github.com/${gh.owner}/${gh.repo}.git`,
    statusContext: gh.statusContext,
    syncWaitMs: gh.syncWaitMs,
    token,
    webhookSecret,
  };
}

async function readSecretFile(file: string): Promise<string | undefined> {
  let stat: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    stat = await fsp.stat(file);
  } catch {
    return undefined;
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `the webhook secret file ${file} is readable by others (mode ${(stat.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}`,
    );
  }
  return (await fsp.readFile(file, "utf8")).trim() || undefined;
}
