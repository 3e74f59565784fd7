import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import pino from "pino";
import type { HomeContext, Logger } from "../home/context.ts";
import { colorEnabled, formatJson, logLineAsText } from "./output.ts";

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  keyFile?: string;
  actor?: string;
}

/** What every command gets: output streams, environment, and a way to open the home. */
export interface CliRuntime {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal. */
  isTTY: boolean;
  /** stderr is a terminal. */
  errIsTTY: boolean;
  /** Colour on stdout: a terminal, unless NO_COLOR; FORCE_COLOR decides first (see output.ts). */
  color: boolean;
  /** Set by runCli before parsing: --json, and whether the command runs the service. */
  mode: { json: boolean; service: boolean };
  /** Raw bytes on stdout (show). */
  outBytes(bytes: Uint8Array): void;
  globals(cmd: Command): GlobalOptions;
  homeDir(cmd: Command): string;
  actor(cmd: Command): string;
  logger(level?: string): Logger;
  open(cmd: Command): Promise<HomeContext>;
  /** Prints a result: one JSON document with --json (output.ts conventions), else the human text. */
  print(cmd: Command, json: unknown, human: string): void;
}

export function createRuntime(
  env: Record<string, string | undefined>,
  stdout: NodeJS.WriteStream,
  stderr: NodeJS.WriteStream,
): CliRuntime {
  const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;
  let logger: Logger | undefined;
  const rt: CliRuntime = {
    env,
    out: (text) => stdout.write(text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => stderr.write(text.endsWith("\n") ? text : `${text}\n`),
    isTTY: Boolean(stdout.isTTY),
    errIsTTY: Boolean(stderr.isTTY),
    color: colorEnabled(env, Boolean(stdout.isTTY)),
    mode: { json: false, service: false },
    outBytes: (bytes) => stdout.write(bytes),
    globals,
    homeDir: (cmd) => path.resolve(globals(cmd).home ?? env.CONFVAULT_HOME ?? "./.confvault"),
    actor: (cmd) => globals(cmd).actor ?? env.CONFVAULT_ACTOR ?? safeUser(),
    logger(level) {
      logger ??= pino(
        {
          // Under --json a warning is in the result or the error already; stderr keeps one error object.
          level: level ?? env.CONFVAULT_LOG_LEVEL ?? (rt.mode.json ? "error" : "warn"),
          base: { pid: process.pid },
          timestamp: pino.stdTimeFunctions.isoTime,
        },
        logAsText(env, rt)
          ? {
              // One readable line per record on stderr, never a raw JSON line in human output.
              write: (line: string) => {
                stderr.write(`${logLineAsText(line, colorEnabled(env, Boolean(stderr.isTTY)))}\n`);
              },
            }
          : pino.destination({ fd: 2, sync: true }),
      );
      return logger;
    },
    // Loaded on first use, so commands that never open a home (help, init) do not load the engine.
    open: async (cmd) =>
      (await import("../home/open-home.ts")).openHome({
        dir: rt.homeDir(cmd),
        env,
        keyFile: globals(cmd).keyFile,
        logger: rt.logger(),
      }),
    print(cmd, json, human) {
      if (globals(cmd).json) rt.out(formatJson(json));
      else if (human !== "") rt.out(human);
    },
  };
  return rt;
}

/**
 * Log records as text lines or as JSON lines (both on stderr). CONFVAULT_LOG_FORMAT=text|json
 * decides; otherwise text on a terminal and for every human-mode command, JSON for --json and for
 * the service (serve, demo) when stderr is not a terminal (journald, log shippers).
 */
function logAsText(env: Record<string, string | undefined>, rt: CliRuntime): boolean {
  const format = env.CONFVAULT_LOG_FORMAT?.toLowerCase();
  if (format === "text") return true;
  if (format === "json") return false;
  if (rt.errIsTTY) return true;
  return !rt.mode.json && !rt.mode.service;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
}
