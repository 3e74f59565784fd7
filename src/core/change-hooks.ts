import type { HomeContext } from "../home/context.ts";
import { type HookEvent, type HookResult, runHook } from "../home/run-hook.ts";

export interface ChangeFacts {
  source: string;
  reason: string;
  actor: string;
  commit?: string;
  tag?: string;
  previousCommit?: string | null;
}

/** Runs one hook for a change with the CONFVAULT_* variables every hook gets, and logs the result. */
export async function runChangeHook(
  ctx: HomeContext,
  event: HookEvent,
  facts: ChangeFacts,
): Promise<HookResult> {
  const env: Record<string, string> = {
    CONFVAULT_NODE: ctx.settings.node,
    CONFVAULT_CLUSTER: ctx.settings.cluster,
    CONFVAULT_ROLE: ctx.settings.role,
    CONFVAULT_PROFILE: ctx.profile.name,
    CONFVAULT_SOURCE: facts.source,
    CONFVAULT_REASON: facts.reason,
    CONFVAULT_ACTOR: facts.actor,
    CONFVAULT_LIVE_CONFIG: ctx.live("config") ?? "",
    CONFVAULT_LIVE_CERT: ctx.live("cert") ?? "",
    CONFVAULT_LIVE_KEY: ctx.live("key") ?? "",
    CONFVAULT_COMMIT: facts.commit ?? "",
    CONFVAULT_TAG: facts.tag ?? "",
    CONFVAULT_PREVIOUS_COMMIT: facts.previousCommit ?? "",
  };
  const result = await runHook({ home: ctx.layout.dir, event, env, timeoutMs: ctx.settings.hooks.timeoutMs });
  if (result.ran) {
    const log = {
      hook: event,
      ok: result.ok,
      exitCode: result.exitCode,
      timedOut: result.timedOut,
      durationMs: result.durationMs,
      output: result.output,
    };
    if (result.ok) ctx.logger.info(log, `hook ${event} succeeded`);
    else ctx.logger.warn(log, `hook ${event} failed`);
  }
  return result;
}

export function describeHookFailure(result: HookResult): string {
  if (result.timedOut) return `the ${result.event} hook timed out after ${result.durationMs} ms`;
  const out = result.output.trim().split("\n").slice(-3).join(" | ");
  return `the ${result.event} hook exited with ${result.exitCode}${out ? `: ${out}` : ""}`;
}
