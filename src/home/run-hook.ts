import { spawn } from "node:child_process";
import { constants, promises as fsp } from "node:fs";
import path from "node:path";

export type HookEvent = "pre-apply" | "post-apply" | "health" | "post-restore" | "post-sync";

export interface HookResult {
  event: HookEvent;
  ran: boolean;
  ok: boolean;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
}

/**
 * Runs `<home>/hooks/<event>` if it exists and is executable, with a cleared environment
 * (PATH, LANG and the given CONFVAULT_* variables only), from the home folder, with a timeout.
 * A missing hook counts as success. Output (stdout + stderr, capped at 64 KiB) is returned for the log.
 */
export async function runHook(options: {
  home: string;
  event: HookEvent;
  env: Record<string, string>;
  timeoutMs: number;
}): Promise<HookResult> {
  const file = path.join(options.home, "hooks", options.event);
  const started = Date.now();
  try {
    await fsp.access(file, constants.X_OK);
  } catch {
    return {
      event: options.event,
      ran: false,
      ok: true,
      exitCode: null,
      timedOut: false,
      durationMs: 0,
      output: "",
    };
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: process.env.LANG ?? "C.UTF-8",
    CONFVAULT_HOME: options.home,
    CONFVAULT_EVENT: options.event,
  };
  for (const [k, v] of Object.entries(options.env)) if (k.startsWith("CONFVAULT_")) env[k] = v;
  return await new Promise<HookResult>((resolve) => {
    const child = spawn(file, [], {
      cwd: options.home,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const add = (chunk: Buffer) => {
      if (output.length < 65_536) output += chunk.toString("utf8").slice(0, 65_536 - output.length);
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, options.timeoutMs);
    const finish = (exitCode: number | null, extra = "") => {
      clearTimeout(timer);
      resolve({
        event: options.event,
        ran: true,
        ok: !timedOut && exitCode === 0,
        exitCode,
        timedOut,
        durationMs: Date.now() - started,
        output: output + extra,
      });
    };
    child.on("error", (err) => finish(null, String(err)));
    child.on("close", (code) => finish(code));
  });
}
