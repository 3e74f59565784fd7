import { readFile } from "node:fs/promises";
import type { Hono } from "hono";
import { decodeManifest, sha256Hex } from "../core/manifest.ts";
import { packageFile } from "../core/package-files.ts";
import { MANIFEST_FILE } from "../core/prepare-snapshot.ts";
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
      const configHashes = new Map<string, string>();
      app.get("/api/v1/ops/points", async (c) => c.json(await pointMarkers(ctx, configHashes)));
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

/** How many of the newest restore points are searched for the one the live config.xml equals. */
const LIVE_SEARCH = 1000;

export interface PointMarkers {
  /** The current restore point: the tip of main (its newest tag, null when untagged). */
  current: { commit: string; tag: string | null } | null;
  /** The restore point whose config.xml equals the live file, byte for byte (null: none found). */
  live: { commit: string; tag: string | null } | null;
  /** "none" when the live file is the current point's; else what differs. */
  drift:
    | "none"
    | "live config matches an older restore point"
    | "live config matches no restore point"
    | "live config missing";
  /** Restore points compared with the live file (the newest `LIVE_SEARCH`). */
  searched: number;
}

/**
 * The dashboard's markers: the current restore point (tip of main) and the live one (the
 * point whose manifest records the sha256 of the live config.xml). Commits never change, so
 * each commit's config hash is read once per process (`hashes`).
 */
export async function pointMarkers(ctx: HomeContext, hashes: Map<string, string>): Promise<PointMarkers> {
  const tip = await ctx.engine.branchTip("main");
  const tags = await ctx.engine.listTags("rp/", { limit: LIVE_SEARCH });
  const tagOf = (commit: string) => tags.find((t) => t.commit === commit)?.name ?? null;
  const current = tip ? { commit: tip, tag: tagOf(tip) } : null;
  const path = ctx.live("config");
  const bytes = path ? await readFile(path).catch(() => null) : null;
  if (bytes === null) return { current, live: null, drift: "live config missing", searched: 0 };
  const liveHash = await sha256Hex(new Uint8Array(bytes));
  const hashOf = async (commit: string) => {
    let hash = hashes.get(commit);
    if (hash === undefined) {
      hash = decodeManifest(await ctx.engine.readFile(commit, MANIFEST_FILE), commit).config.sha256;
      hashes.set(commit, hash);
    }
    return hash;
  };
  if (tip && (await hashOf(tip)) === liveHash) return { current, live: current, drift: "none", searched: 1 };
  let searched = 0;
  for (const t of tags) {
    searched++;
    if (t.commit === tip) continue;
    if ((await hashOf(t.commit).catch(() => "")) === liveHash) {
      return {
        current,
        live: { commit: t.commit, tag: t.name },
        drift: "live config matches an older restore point",
        searched,
      };
    }
  }
  return { current, live: null, drift: "live config matches no restore point", searched };
}
