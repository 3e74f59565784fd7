import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { tagOf } from "./current-cert-key.ts";

export interface PointInForce {
  commit: string;
  /** Its restore point tag, or null when the tag was pruned (the commit is still on main). */
  tag: string | null;
  /** When it was made (ISO-8601 UTC). */
  time: string;
  /** The time asked for, normalised. */
  at: string;
}

/**
 * Parses `--at` times: ISO 8601 with a zone (`2026-11-28T10:00Z`, `…+01:00`), a date alone
 * (`2026-11-28`, midnight UTC) or unix seconds (`@1764324000`). Anything else is BAD_USAGE.
 */
export function parseTime(text: string): Date {
  const t = text.trim();
  let ms: number;
  if (/^@\d+$/.test(t)) ms = Number(t.slice(1)) * 1000;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(t)) ms = Date.parse(`${t}T00:00:00Z`);
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t))
    ms = Date.parse(t.replace(" ", "T"));
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `--at ${JSON.stringify(text)} is not a time`,
      "use ISO 8601 with a zone (2026-11-28T10:00Z, 2026-11-28T11:00+01:00), a date (2026-11-28) or @unix-seconds",
    );
  }
  return new Date(ms);
}

/**
 * The restore point in force at a time: the newest commit on main made at or before it (first
 * parents, by commit time). A time before the first restore point is REF_NOT_FOUND; a time in the
 * future is the current tip (nothing newer is in force).
 */
export async function pointAt(ctx: HomeContext, at: string | Date): Promise<PointInForce> {
  const when = typeof at === "string" ? parseTime(at) : at;
  const seconds = when.getTime() / 1000;
  const history = await ctx.engine.log({ ref: "main" });
  if (history.length === 0) {
    throw new ConfvaultError("REF_NOT_FOUND", "there are no restore points yet", "apply a config first");
  }
  const hit = history.find((c) => c.committer.timestamp <= seconds);
  if (!hit) {
    const first = history.at(-1)!;
    throw new ConfvaultError(
      "REF_NOT_FOUND",
      `no restore point was in force at ${when.toISOString()}: the first one was made at ${new Date(first.committer.timestamp * 1000).toISOString()}`,
      "pick a later time, or `confvault log` for the history",
      { at: when.toISOString() },
    );
  }
  return {
    commit: hit.oid,
    tag: (await tagOf(ctx, hit.oid)) ?? null,
    time: new Date(hit.committer.timestamp * 1000).toISOString(),
    at: when.toISOString(),
  };
}
