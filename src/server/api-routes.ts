import type { Context, Hono } from "hono";
import { z } from "zod";
import { CONFIG_FILE, MANIFEST_FILE } from "../core/prepare-snapshot.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { canReadPlaintext, canSeePaths, requireRole } from "./auth.ts";
import { scrubPaths } from "./error-response.ts";
import { logChange, logRolledBackChange } from "./observe.ts";
import { limitBody, requireContentType } from "./request-checks.ts";
import type { AppDeps, AppEnv } from "./types.ts";

const XML_TYPES = ["application/xml", "text/xml"];
/** The committed config.xml: secrets as markers, exactly as stored in git. */
const COMMITTED_CONFIG = "committed/config.xml";
/** What a viewer may read: nothing that carries a secret, not even sealed. */
const VIEWER_FILES: ReadonlySet<string> = new Set([COMMITTED_CONFIG, MANIFEST_FILE]);
const MULTIPART = "multipart/form-data";

/** multipart/form-data apply: parts `config.xml` (or `config`), optional `cert` and `key` (PEM). */
async function readMultipart(
  request: Request,
): Promise<{ config: Uint8Array; cert?: Uint8Array; key?: Uint8Array }> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new ConfvaultError(
      "BAD_INPUT",
      "The multipart body could not be parsed",
      "Send parts named config.xml, cert and key.",
    );
  }
  const part = async (name: string): Promise<Uint8Array | undefined> => {
    const value = form.get(name);
    if (value === null) return undefined;
    return typeof value === "string"
      ? new TextEncoder().encode(value)
      : new Uint8Array(await value.arrayBuffer());
  };
  const config = (await part("config.xml")) ?? (await part("config"));
  if (!config)
    throw new ConfvaultError(
      "BAD_INPUT",
      "The multipart body has no config.xml part",
      "Name the config part config.xml.",
    );
  const cert = await part("cert");
  const key = await part("key");
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "A certificate needs its private key and the other way round",
      "Send both cert and key parts, or neither.",
    );
  }
  return { config, cert, key };
}

const restoreBody = z.object({
  tag: z.string().min(1),
  reason: z.string(),
  dry_run: z.boolean().optional(),
  /** Partial restore: only these sections of `tag` (paths below the root, `[@attr=value]` predicates). */
  sections: z.array(z.string().min(1).max(500)).max(100).optional(),
  missing: z.enum(["refuse", "add", "skip", "remove"]).optional(),
  /** Partial restore of the certificate and key. */
  certificate: z.boolean().optional(),
  /** Make a restore point even when `tag` is already current and live (CLI `--record`). */
  record: z.boolean().optional(),
});

const undeleteBody = z.object({ tag: z.string().min(1).max(300) });

/** An optional operation of `Operations`; a server built without it answers NOT_FOUND. */
function needOp<A extends unknown[], R>(fn: ((...args: A) => Promise<R>) | undefined, name: string) {
  if (fn === undefined) {
    throw new ConfvaultError(
      "NOT_FOUND",
      `This server does not offer ${name}`,
      "Use a confvault home's server.",
    );
  }
  return fn;
}

/**
 * The `/api/v1` routes; authentication is mounted in create-app.ts. Routes that take a body check
 * role and media type first, then the size, so no body is read for a caller who will be refused.
 */
export function registerApiRoutes(app: Hono<AppEnv>, deps: AppDeps, maxBody: number): void {
  const { ops, metrics } = deps;
  const operator = requireRole("operator");
  const sizeLimit = limitBody(maxBody);

  app.post("/api/v1/apply", operator, requireContentType(...XML_TYPES, MULTIPART), sizeLimit, async (c) => {
    const reason = requireReason(c.req.query("reason"));
    const tag = c.req.query("tag") || undefined;
    const dryRun = flag(c.req.query("dry_run"));
    const isMultipart = (c.req.header("content-type") ?? "").toLowerCase().startsWith(MULTIPART);
    const { config, cert, key } = isMultipart
      ? await readMultipart(c.req.raw)
      : { config: new Uint8Array(await c.req.arrayBuffer()), cert: undefined, key: undefined };
    if (config.length === 0) {
      throw new ConfvaultError("BAD_INPUT", "Empty request body", "Send the config.xml bytes as the body.");
    }
    const endTimer = metrics.applyDuration.startTimer();
    const started = performance.now();
    try {
      const actor = actorOf(c);
      const result = await ops.apply({ config, cert, key, reason, tag, actor, dryRun });
      if ((result.changed || result.rolledBackTo) && !result.dryRun) {
        logChange(deps.logger, {
          source: "apply",
          tag: result.tag,
          commit: result.commit,
          actor,
          durationMs: performance.now() - started,
          extra: { rolled_back_to: result.rolledBackTo, request_id: c.get("requestId") },
        });
      }
      const outcome = result.dryRun
        ? "dry_run"
        : result.rolledBackTo
          ? "rolled_back"
          : result.changed
            ? "changed"
            : "unchanged";
      metrics.applies.inc({ result: outcome });
      if (result.changed && !result.dryRun) metrics.lastRestorePoint.setToCurrentTime();
      return c.json(result, result.changed && !result.dryRun ? 201 : 200);
    } catch (err) {
      metrics.applies.inc({ result: "error" });
      logRolledBackChange(deps.logger, err, {
        source: "apply",
        actor: actorOf(c),
        durationMs: performance.now() - started,
        extra: { request_id: c.get("requestId") },
      });
      throw err;
    } finally {
      endTimer();
    }
  });

  app.get("/api/v1/restore-points", async (c) => {
    const limit = positiveInt(c.req.query("limit"), "limit");
    // Paging: `offset` points are skipped (newest first), so `limit=200&offset=200` is page two.
    const offset = c.req.query("offset") === "0" ? undefined : positiveInt(c.req.query("offset"), "offset");
    if (offset === undefined) {
      const restorePoints = await ops.listRestorePoints(limit === undefined ? {} : { limit });
      return c.json({ restorePoints });
    }
    const all = await ops.listRestorePoints(limit === undefined ? {} : { limit: offset + limit });
    return c.json({ restorePoints: all.slice(offset) });
  });

  // The restore point in force at a time (registered before the `{.+}` route below, which would
  // otherwise take "at" as a restore point name). Viewers may ask: it names a point, no content.
  app.get("/api/v1/restore-points/at", async (c) => {
    const time = c.req.query("time") || c.req.query("at");
    if (!time) {
      throw new ConfvaultError(
        "BAD_USAGE",
        "Missing query parameter time",
        "Ask /api/v1/restore-points/at?time=2026-11-28T10:00:00Z (ISO 8601 with a zone, a date or @unix-seconds).",
      );
    }
    return c.json(await needOp(ops.pointAt, "restore-points/at")({ time }));
  });

  // The trash: restore points prune removed, kept for retention.trashDays (viewers may list it).
  app.get("/api/v1/trash", async (c) => c.json({ deleted: await needOp(ops.listDeleted, "trash")() }));

  app.post("/api/v1/undelete", operator, requireContentType("application/json"), sizeLimit, async (c) => {
    const body = undeleteBody.safeParse(await readJson(c));
    if (!body.success) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `Invalid undelete request: ${body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")}`,
        'Send JSON like {"tag": "rp/20261122T004200Z-1"}; GET /api/v1/trash lists what can be brought back.',
      );
    }
    const actor = actorOf(c);
    const back = await needOp(ops.undelete, "undelete")({ tag: body.data.tag, actor });
    deps.logger.info(
      { event: "undelete", tag: back.tag, commit: back.commit, actor, request_id: c.get("requestId") },
      "restore point brought back from the trash",
    );
    return c.json(back);
  });

  // Tags contain slashes (rp/20261122T004200Z-1), so one route takes the rest of the path and
  // splits it: `<tag>/files/<file>` first, then `<tag>/config.xml`. A slash may also come as %2F.
  // (hono's RegExpRouter picks one of two overlapping `{.+}` routes, not the first registered.)
  app.get("/api/v1/restore-points/:path{.+}", async (c) => {
    const path = c.req.param("path");
    const match =
      /^(.+)\/files\/(committed\/config\.xml)$/.exec(path) ??
      /^(.+)\/files\/([^/]+)$/.exec(path) ??
      /^(.+)\/(config\.xml)$/.exec(path);
    if (match === null) {
      throw new ConfvaultError(
        "NOT_FOUND",
        `No route for GET ${c.req.path}`,
        "Use /api/v1/restore-points/<tag>/config.xml or /api/v1/restore-points/<tag>/files/<file>.",
      );
    }
    const [, ref, requested] = match as unknown as [string, string, string];
    const identity = c.get("identity");
    if (identity === undefined) throw new ConfvaultError("UNAUTHORIZED", "Missing bearer token", "");
    const plaintext = canReadPlaintext(identity.role);
    // Viewers get the committed bytes (markers) for config.xml and nothing else that holds secrets.
    let file = requested;
    if (!plaintext) {
      if (file === CONFIG_FILE) file = COMMITTED_CONFIG;
      else if (!VIEWER_FILES.has(file)) {
        throw new ConfvaultError(
          "FORBIDDEN",
          `Token "${identity.name}" has role ${identity.role}; reading ${file} needs operator`,
          `Viewer tokens read ${CONFIG_FILE} (secrets as markers), ${COMMITTED_CONFIG} and ${MANIFEST_FILE}; use an operator token for the rest.`,
          { required: "operator", role: identity.role, file },
        );
      }
    }
    const bytes = await ops.showFile({ ref, file });
    const secrets = file === CONFIG_FILE ? "plaintext" : file === COMMITTED_CONFIG ? "markers" : undefined;
    if (secrets === "plaintext") {
      // Every read of secrets put back is on record: who, with what role, what, when.
      deps.logger.info(
        {
          event: "plaintext_read",
          actor: identity.name,
          role: identity.role,
          ref,
          file,
          time: new Date().toISOString(),
          requestId: c.get("requestId"),
        },
        "plaintext config read",
      );
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "content-type": mediaTypeFor(file),
      ...(secrets ? { "x-confvault-secrets": secrets } : {}),
    });
  });

  app.get("/api/v1/diff", async (c) => {
    const from = c.req.query("from");
    if (!from) {
      throw new ConfvaultError(
        "BAD_USAGE",
        "Missing query parameter from",
        "Name the restore point to compare: /api/v1/diff?from=rp/…[&to=rp/…][&unified=1].",
      );
    }
    const result = await ops.diff({
      from,
      to: c.req.query("to") || undefined,
      unified: flag(c.req.query("unified")),
      showVolatile: flag(c.req.query("volatile")),
    });
    return c.json(result);
  });

  app.post("/api/v1/restore", operator, requireContentType("application/json"), sizeLimit, async (c) => {
    const body = restoreBody.safeParse(await readJson(c));
    if (!body.success) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `Invalid restore request: ${body.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")}`,
        'Send JSON like {"tag": "rp/20261122T004200Z-1", "reason": "why", "dry_run": false}.',
      );
    }
    const reason = requireReason(body.data.reason);
    const started = performance.now();
    try {
      const actor = actorOf(c);
      const result = await ops.restore({
        ref: body.data.tag,
        reason,
        actor,
        dryRun: body.data.dry_run ?? false,
        ...(body.data.sections ? { sections: body.data.sections } : {}),
        ...(body.data.missing ? { missing: body.data.missing } : {}),
        ...(body.data.certificate ? { certificate: body.data.certificate } : {}),
        ...(body.data.record ? { record: true } : {}),
      });
      // A restore of what is already current and live makes no restore point (changed: false).
      const made = !result.dryRun && (result as { changed?: boolean }).changed !== false;
      if (made) {
        logChange(deps.logger, {
          source: "restore",
          tag: result.tag,
          commit: result.commit,
          actor,
          durationMs: performance.now() - started,
          extra: { restored_from: result.restoredFrom, request_id: c.get("requestId") },
        });
      }
      metrics.restores.inc({ result: result.dryRun ? "dry_run" : made ? "restored" : "unchanged" });
      if (made) metrics.lastRestorePoint.setToCurrentTime();
      return c.json(result, made ? 201 : 200);
    } catch (err) {
      metrics.restores.inc({ result: "error" });
      logRolledBackChange(deps.logger, err, {
        source: "restore",
        actor: actorOf(c),
        durationMs: performance.now() - started,
        extra: { request_id: c.get("requestId") },
      });
      throw err;
    }
  });

  app.get("/api/v1/status", async (c) => {
    const status = await ops.status();
    const identity = c.get("identity");
    return c.json(identity !== undefined && canSeePaths(identity.role) ? status : withoutPaths(status));
  });
}

/** Keys whose value is a location on the node, left out for viewers. */
const PATH_KEYS: ReadonlySet<string> = new Set(["home", "keyFile", "liveRoot", "gitdir"]);

/**
 * The status as a viewer sees it: no absolute paths. Location-only keys (home, key file) are
 * left out; any other absolute path (live files, wherever it sits) becomes its base name, and
 * paths inside messages (a failed sync's reason) are scrubbed as in error answers.
 */
export function withoutPaths(value: Record<string, unknown>): Record<string, unknown> {
  const home = typeof value.home === "string" ? value.home : undefined;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return isAbsolutePath(v) ? baseName(v) : scrubPaths(v, home);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) {
        if (PATH_KEYS.has(k) && typeof inner === "string") continue;
        out[k] = walk(inner);
      }
      return out;
    }
    return v;
  };
  return walk(value) as Record<string, unknown>;
}

function isAbsolutePath(s: string): boolean {
  return /^\/[^/\s]/.test(s) || /^[A-Za-z]:[\\/]/.test(s) || /^\\\\/.test(s) || s.startsWith("file:/");
}

function baseName(s: string): string {
  const parts = s.split(/[\\/]+/).filter((p) => p !== "");
  return parts.at(-1) ?? "";
}

function requireReason(reason: string | undefined): string {
  if (reason === undefined || reason.trim() === "") {
    throw new ConfvaultError(
      "BAD_USAGE",
      "A reason is required",
      "Say why in `reason` (a query parameter for apply, a JSON field for restore); it is recorded in the commit.",
    );
  }
  return reason;
}

function actorOf(c: Context<AppEnv>): string {
  const identity = c.get("identity");
  if (identity === undefined) throw new ConfvaultError("UNAUTHORIZED", "Missing bearer token", "");
  return identity.name;
}

function flag(value: string | undefined): boolean {
  return value === "1" || value === "true" || value === "yes";
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `${name} must be a positive integer, got ${JSON.stringify(value)}`,
      `Use ${name}=20, for example.`,
    );
  }
  return Number(value);
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `Request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      "Send a JSON object with Content-Type: application/json.",
    );
  }
}

function mediaTypeFor(file: string): string {
  if (file.endsWith(".xml")) return "application/xml";
  if (file.endsWith(".json")) return "application/json; charset=utf-8";
  return "application/octet-stream";
}
