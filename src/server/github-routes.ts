import { verify } from "@octokit/webhooks-methods";
import type { Hono } from "hono";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { limitBody } from "./request-checks.ts";
import type { AppEnv, GithubWebhookDeps } from "./types.ts";

/** GitHub caps webhook payloads at 25 MB. */
const DEFAULT_LIMIT = 25 * 1024 * 1024;

/**
 * POST /hooks/github: GitHub's `X-Hub-Signature-256` is checked on the raw body before
 * anything is parsed or remembered; then the delivery id is refused if seen before, and the
 * event is handed to `dispatch`, which answers at once (slow work runs after the response).
 */
export function registerGithubRoutes(app: Hono<AppEnv>, deps: GithubWebhookDeps): void {
  app.post("/hooks/github", limitBody(deps.bodyLimit ?? DEFAULT_LIMIT), async (c) => {
    const signature = c.req.header("x-hub-signature-256");
    const event = c.req.header("x-github-event");
    const delivery = c.req.header("x-github-delivery");
    const missing = [
      signature ? "" : "X-Hub-Signature-256",
      event ? "" : "X-GitHub-Event",
      delivery ? "" : "X-GitHub-Delivery",
    ].filter(Boolean);
    if (missing.length > 0 || !signature || !event || !delivery) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `missing header${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
        "this endpoint takes GitHub webhook deliveries: set a secret on the webhook so GitHub signs them",
        { missing },
      );
    }
    const raw = new Uint8Array(await c.req.arrayBuffer());
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    } catch {
      throw new ConfvaultError("BAD_INPUT", "the body is not UTF-8", "GitHub sends UTF-8 JSON");
    }
    if (text.length === 0 || !(await verify(deps.secret, text, signature))) {
      throw new ConfvaultError(
        "UNAUTHORIZED",
        "X-Hub-Signature-256 does not match the body",
        "the webhook's secret on GitHub must equal CONFVAULT_GITHUB_WEBHOOK_SECRET (or the secret file)",
      );
    }
    await deps.events.remember(delivery);
    const payload = parsePayload(text, c.req.header("content-type") ?? "");
    const answer = deps.events.dispatch({ name: event, delivery, payload });
    return c.json({ delivery, event, ...answer.body }, answer.status);
  });
}

function parsePayload(text: string, contentType: string): unknown {
  try {
    if (contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return JSON.parse(new URLSearchParams(text).get("payload") ?? "");
    }
    return JSON.parse(text);
  } catch {
    throw new ConfvaultError(
      "BAD_INPUT",
      "the webhook body is not JSON",
      "set the webhook's content type to application/json",
    );
  }
}
