import type { Operations, RestorePoint } from "../../src/api/types.ts";
import { ConfvaultError } from "../../src/errors/confvault-error.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createToken, createTokenVerifier } from "../../src/server/tokens.ts";
import type { AppLogger } from "../../src/server/types.ts";

export interface Call {
  op: keyof Operations;
  options: unknown;
}

/** An in-memory Operations that records its calls; `failWith` makes the next call throw. */
export function fakeOps() {
  const calls: Call[] = [];
  const files = new Map<string, Uint8Array>();
  const points: RestorePoint[] = [];
  let seq = 0;
  let lastConfig: string | undefined;
  const state = { failWith: undefined as Error | undefined, ready: true, delayMs: 0 };
  const record = async (op: keyof Operations, options: unknown) => {
    calls.push({ op, options });
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    const err = state.failWith;
    state.failWith = undefined;
    if (err) throw err;
  };
  const ops: Operations = {
    async apply(options) {
      await record("apply", options);
      const text = new TextDecoder().decode(options.config);
      const changed = text !== lastConfig;
      const tag = options.tag ?? `rp/20261122T004200Z-${++seq}`;
      if (changed && !options.dryRun) {
        lastConfig = text;
        files.set(`${tag}:config.xml`, options.config);
        points.unshift({
          tag,
          commit: "c".repeat(40),
          time: "2026-11-22T00:42:00Z",
          actor: options.actor,
          reason: options.reason,
          source: "apply",
        });
      }
      return {
        commit: "c".repeat(40),
        tag,
        changed,
        dryRun: options.dryRun ?? false,
        liveWritten: !options.dryRun,
        warnings: [],
      };
    },
    async listRestorePoints(options) {
      await record("listRestorePoints", options);
      return points.slice(0, options?.limit ?? points.length);
    },
    async showFile(options) {
      await record("showFile", options);
      const bytes = files.get(`${options.ref}:${options.file}`);
      if (!bytes) {
        throw new ConfvaultError("REF_NOT_FOUND", `No ${options.file} at ${options.ref}`, "Run log.");
      }
      return bytes;
    },
    async diff(options) {
      await record("diff", options);
      return { from: options.from, to: options.to ?? "live", entries: [], text: "no changes" };
    },
    async restore(options) {
      await record("restore", options);
      return {
        commit: "d".repeat(40),
        tag: `rp/20261122T004300Z-${++seq}`,
        restoredFrom: options.ref,
        dryRun: options.dryRun ?? false,
        liveWritten: !options.dryRun,
        warnings: [],
      };
    },
    async status() {
      await record("status", undefined);
      return { role: "standalone", restorePoints: points.length };
    },
    async ready() {
      await record("ready", undefined);
      return state.ready ? { ok: true } : { ok: false, detail: "repository unreadable" };
    },
  };
  return { ops, calls, files, state };
}

export interface LogLine {
  level: "info" | "warn" | "error";
  obj: Record<string, unknown>;
  msg: string;
}

export function memoryLogger(): AppLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: "info", obj, msg }),
    warn: (obj, msg) => lines.push({ level: "warn", obj, msg }),
    error: (obj, msg) => lines.push({ level: "error", obj, msg }),
  };
}

/** A complete app over fakes, with one operator and one viewer token. */
export async function testApp(options: { bodyLimit?: number; home?: string } = {}) {
  const fake = fakeOps();
  if (options.home !== undefined) Object.assign(fake.ops, { home: options.home });
  const operator = await createToken("alice", "operator");
  const viewer = await createToken("victor", "viewer");
  const logger = memoryLogger();
  const metrics = createMetrics();
  const app = createApp({
    ops: fake.ops,
    tokens: createTokenVerifier([operator.record, viewer.record]),
    logger,
    metrics,
    version: "0.1.0-test",
    bodyLimit: options.bodyLimit,
  });
  return {
    app,
    ...fake,
    logger,
    metrics,
    operatorToken: operator.token,
    viewerToken: viewer.token,
    auth: (token: string) => ({ authorization: `Bearer ${token}` }),
  };
}

export const SAMPLE_XML = '<?xml version="1.0"?>\n<config><rule id="1">allow</rule></config>\n';
