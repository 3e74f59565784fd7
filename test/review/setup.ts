import { promises as fsp } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { sign } from "@octokit/webhooks-methods";
import { openHome } from "../../src/home/open-home.ts";
import { createGithubClient } from "../../src/review/github-client.ts";
import { resolveGithubConfig } from "../../src/review/github-config.ts";
import { createGithubEvents, type GithubEvents } from "../../src/review/github-events.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import { type FakeGithub, startFakeGithub } from "../helpers/fake-github.ts";
import { type TempHome, tempHome } from "../helpers/temp-home.ts";
import { fakeOps, memoryLogger } from "../server/fixtures.ts";

export const OWNER = "acme";
export const REPO = "proxy-policy";
export const TOKEN = "ghp_test_token_0123456789";
export const SECRET = "webhook-secret-for-tests";

export interface ReviewRig {
  home: TempHome;
  gh: FakeGithub;
  env: Record<string, string>;
  events: GithubEvents;
  app: ReturnType<typeof createApp>;
  client: ReturnType<typeof createGithubClient>;
  /** What the home logged (its ctx.logger), as JSON-able lines. */
  logs: Array<{ level: string; obj: Record<string, unknown>; msg?: string }>;
  cleanup(): Promise<void>;
}

/** A home configured for GitHub review against the fake GitHub, and the app with /hooks/github. */
export async function reviewRig(options: { bodyLimit?: number } = {}): Promise<ReviewRig> {
  const home = await tempHome();
  const gh = await startFakeGithub({ owner: OWNER, repo: REPO, token: TOKEN });
  const settingsFile = home.ctx.layout.settings;
  const settings = JSON.parse(await fsp.readFile(settingsFile, "utf8"));
  settings.github = { owner: OWNER, repo: REPO, apiUrl: gh.apiUrl, gitUrl: gh.gitUrl, syncWaitMs: 0 };
  await fsp.writeFile(settingsFile, JSON.stringify(settings, null, 2));
  const env = { ...home.env, CONFVAULT_GITHUB_TOKEN: TOKEN, CONFVAULT_GITHUB_WEBHOOK_SECRET: SECRET };
  const logs: ReviewRig["logs"] = [];
  const keep = (level: string) => (obj: object, msg?: string) =>
    logs.push({ level, obj: obj as Record<string, unknown>, ...(msg === undefined ? {} : { msg }) });
  home.ctx = await openHome({
    dir: home.dir,
    env,
    logger: { debug: () => {}, info: keep("info"), warn: keep("warn"), error: keep("error") },
  });
  const github = await resolveGithubConfig(home.ctx, env, { token: true, webhookSecret: true });
  const client = createGithubClient({ token: TOKEN, apiUrl: gh.apiUrl, logger: home.ctx.logger, retries: 0 });
  const events = createGithubEvents({ ctx: home.ctx, github, client });
  const app = createApp({
    ops: fakeOps().ops,
    tokens: createTokenVerifier([]),
    logger: memoryLogger(),
    metrics: createMetrics(),
    version: "test",
    github: { secret: SECRET, events, bodyLimit: options.bodyLimit },
  });
  return {
    home,
    gh,
    env,
    events,
    app,
    client,
    logs,
    async cleanup() {
      await gh.close();
      await home.cleanup();
    },
  };
}

type Example = Record<string, unknown>;

// The package's main is a JSON file: load it the CommonJS way (no import attributes needed).
const webhookExamples = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/** A real payload from @octokit/webhooks-examples (deep copy), the first matching `action`. */
export function example(name: string, action?: string): Example {
  const def = webhookExamples.find((d) => d.name === name);
  const found = (def?.examples as Example[] | undefined)?.find(
    (e) => action === undefined || e.action === action,
  );
  if (!found) throw new Error(`no ${name} ${action ?? ""} example`);
  return structuredClone(found);
}

/** The push example, adapted to the fake repository. */
export function pushPayload(
  gh: FakeGithub,
  sha: string,
  before: string,
  message: string,
  pusher = "octocat",
): Example {
  const p = example("push");
  Object.assign(p, {
    ref: "refs/heads/main",
    before,
    after: sha,
    created: false,
    deleted: false,
    repository: { ...(p.repository as Example), ...gh.repositoryJson() },
    pusher: { name: pusher, email: `${pusher}@example.com` },
    head_commit: { ...((p.head_commit as Example) ?? {}), id: sha, message },
  });
  return p;
}

/** A pull_request example for one of the fake's pull requests. */
export function pullPayload(gh: FakeGithub, number: number, action: string, merged = false): Example {
  const p = example("pull_request", action === "closed" ? "closed" : "opened");
  const pull = gh.pulls.find((x) => x.number === number)!;
  Object.assign(p, {
    action,
    number,
    pull_request: { ...(p.pull_request as Example), ...gh.pullJson(pull), merged },
    repository: { ...(p.repository as Example), ...gh.repositoryJson() },
  });
  return p;
}

let deliveries = 0;

/** Posts a payload to /hooks/github signed as GitHub signs it. */
export async function deliver(
  rig: ReviewRig,
  event: string,
  payload: unknown,
  options: { delivery?: string; secret?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const body = JSON.stringify(payload);
  const delivery =
    options.delivery ?? `72d3162e-cc78-11e3-81ab-4c9367dc${String(++deliveries).padStart(4, "0")}`;
  return await rig.app.request("/hooks/github", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": delivery,
      "x-hub-signature-256": await sign(options.secret ?? SECRET, body),
      "user-agent": "GitHub-Hookshot/044aadd",
      ...options.headers,
    },
    body,
  });
}

export async function liveConfig(rig: ReviewRig): Promise<Uint8Array> {
  return new Uint8Array(await fsp.readFile(rig.home.ctx.live("config")!));
}

export const samplePath = (root: string) => path.join(root, "templates/sample/safesquid-config.xml");
