import { readFile } from "node:fs/promises";
import type { Hono } from "hono";
import { packageFile } from "../core/package-files.ts";
import type { HomeContext } from "../home/context.ts";
import type { AppEnv } from "../server/types.ts";
import { buildOpsReport } from "./ops-report.ts";

const ASSETS: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};

/** Only our own script and stylesheet; no inline script, no framing, API calls to this origin only. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The dashboard (static page + vanilla JS, public: it holds no data) and `GET /api/v1/ops`
 * (behind the API's bearer tokens). Register `dashboard` before authentication and `api` after.
 */
export function opsRoutes(ctx: HomeContext): {
  beforeAuth: (app: Hono<AppEnv>) => void;
  afterAuth: (app: Hono<AppEnv>) => void;
} {
  const cache = new Map<string, Uint8Array>();
  const asset = async (name: string) => {
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = new Uint8Array(await readFile(packageFile(`src/ops/dashboard/${name}`)));
      cache.set(name, bytes);
    }
    return bytes;
  };
  return {
    beforeAuth(app) {
      app.get("/dashboard", (c) => c.redirect("/dashboard/", 302));
      app.get("/dashboard/:file{[a-z.]*}", async (c) => {
        const file = c.req.param("file") || "index.html";
        const type = ASSETS[file];
        if (type === undefined) return c.notFound();
        return c.body((await asset(file)) as Uint8Array<ArrayBuffer>, 200, {
          "content-type": type,
          "content-security-policy": DASHBOARD_CSP,
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        });
      });
    },
    afterAuth(app) {
      app.get("/api/v1/ops", async (c) => {
        const r = await buildOpsReport(ctx);
        const identity = c.get("identity");
        return c.json({
          you: { name: identity?.name ?? "", role: identity?.role ?? "viewer" },
          node: r.node,
          role: r.role,
          generatedAt: r.generatedAt,
          schedules: r.schedules,
          repository: r.repository,
          remotes: r.remotes,
          drills: r.drills,
          nodes: r.nodes.mode,
          certificate: r.certificate,
          alerts: r.alerts,
        });
      });
    },
  };
}
