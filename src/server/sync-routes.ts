import type { Context, Hono } from "hono";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { MasterSyncApi } from "../sync/master-sync.ts";
import type { SlaveSyncApi } from "../sync/slave-sync.ts";
import { requireRole } from "./auth.ts";
import type { ExtraRoutes } from "./create-app.ts";
import { limitBody, requireContentType } from "./request-checks.ts";
import type { AppEnv } from "./types.ts";

/** Sync requests are small JSON documents; anything bigger is refused before it is read. */
const SYNC_BODY_LIMIT = 64 * 1024;

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new ConfvaultError(
      "BAD_INPUT",
      "Request body is not valid JSON",
      "Send a JSON object with Content-Type: application/json.",
    );
  }
}

function bearer(c: Context<AppEnv>): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  return m?.[1];
}

/**
 * Cluster sync over HTTP. On a master: join (join token), releases and acks (node token), and
 * the cluster status and resume behind the API's bearer tokens. On a slave: the signed
 * `POST /hooks/sync` webhook, answered 202 before anything is fetched or applied.
 */
export function syncRoutes(sync: MasterSyncApi | SlaveSyncApi): ExtraRoutes {
  const size = limitBody(SYNC_BODY_LIMIT);
  if (sync.role === "slave") {
    return {
      beforeAuth(app: Hono<AppEnv>) {
        app.post("/hooks/sync", size, async (c) => {
          const result = await sync.webhook({
            body: await c.req.text(),
            signature: c.req.header("x-confvault-signature"),
            timestamp: c.req.header("x-confvault-timestamp"),
            delivery: c.req.header("x-confvault-delivery"),
          });
          return c.json(result, 202);
        });
      },
      afterAuth(app) {
        app.get("/api/v1/cluster", async (c) => c.json(await sync.status()));
      },
    };
  }
  return {
    beforeAuth(app) {
      const json = requireContentType("application/json");
      app.post("/api/v1/cluster/join", json, size, async (c) =>
        c.json(await sync.join(await jsonBody(c)), 201),
      );
      app.post("/api/v1/cluster/ack", json, size, async (c) => {
        const node = await sync.authenticate(bearer(c));
        await sync.ack(node, await jsonBody(c));
        return c.json({ ok: true });
      });
      app.get("/api/v1/cluster/join-info", async (c) => c.json(await sync.joinInfo()));
      // A node token must never re-key its node: whoever holds it would get the next bundle.
      app.post("/api/v1/cluster/recipient", async (c, next) => {
        const token = bearer(c);
        const node = token ? await sync.authenticate(token).catch(() => undefined) : undefined;
        if (node) {
          throw new ConfvaultError(
            "FORBIDDEN",
            "changing a node's recipient needs the join exchange or an operator",
            "join the slave again with a fresh join token, or have an operator POST {node, recipient} with an API token",
            { node: node.name },
          );
        }
        await next();
      });
      app.get("/api/v1/releases/:id", async (c) => {
        const node = await sync.authenticate(bearer(c));
        const id = c.req.param("id");
        if (id === "latest") {
          const drift = c.req.query("drift");
          return c.json({
            release: await sync.latest(node, { drift: drift === undefined ? undefined : drift === "1" }),
          });
        }
        return c.json(await sync.release(node, id));
      });
    },
    afterAuth(app) {
      app.get("/api/v1/cluster", async (c) => c.json(await sync.status()));
      app.post("/api/v1/cluster/recipient", requireRole("operator"), size, async (c) => {
        const body = (await jsonBody(c)) as { node?: unknown; recipient?: unknown };
        if (typeof body?.node !== "string" || typeof body?.recipient !== "string")
          throw new ConfvaultError(
            "BAD_INPUT",
            "node or recipient is missing",
            'Send {"node": "slave-1", "recipient": "age1…"}.',
          );
        await sync.setRecipient(body.node, body.recipient);
        return c.json({ ok: true, node: body.node });
      });
      app.post("/api/v1/cluster/resume", requireRole("operator"), async (c) => {
        const held = await sync.resume({ skipCanary: c.req.query("skip_canary") === "1" });
        return c.json({ resumed: held });
      });
    },
  };
}
