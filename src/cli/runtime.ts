import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import pino from "pino";
import type { HomeContext, Logger } from "../home/context.ts";

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
  isTTY: boolean;
  color: boolean;
  globals(cmd: Command): GlobalOptions;
  homeDir(cmd: Command): string;
  actor(cmd: Command): string;
  logger(level?: string): Logger;
  open(cmd: Command): Promise<HomeContext>;
  /** Prints a result: JSON with --json, else the human text. */
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
    color: Boolean(stdout.isTTY) && !env.NO_COLOR && env.TERM !== "dumb",
    globals,
    homeDir: (cmd) => path.resolve(globals(cmd).home ?? env.CONFVAULT_HOME ?? "./.confvault"),
    actor: (cmd) => globals(cmd).actor ?? env.CONFVAULT_ACTOR ?? safeUser(),
    logger(level) {
      logger ??= pino(
        {
          level: level ?? env.CONFVAULT_LOG_LEVEL ?? "warn",
          base: { pid: process.pid },
          timestamp: pino.stdTimeFunctions.isoTime,
        },
        pino.destination({ fd: 2, sync: true }),
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
      if (globals(cmd).json) rt.out(JSON.stringify(json, null, 2));
      else if (human !== "") rt.out(human);
    },
  };
  return rt;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
}
