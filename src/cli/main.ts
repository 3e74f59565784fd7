import { Command, CommanderError } from "commander";
import { packageVersion } from "../core/package-files.ts";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import { exitCodeFor } from "../errors/status-map.ts";
import { registerApply } from "./commands/apply.ts";
import { registerCapture } from "./commands/capture.ts";
import { registerCluster } from "./commands/cluster.ts";
import { registerDemo } from "./commands/demo.ts";
import { registerDiff } from "./commands/diff.ts";
import { registerGithub } from "./commands/github.ts";
import { registerInit } from "./commands/init.ts";
import { registerKeys } from "./commands/keys.ts";
import { registerLog } from "./commands/log.ts";
import { registerMaintenance } from "./commands/maintenance.ts";
import { registerPropose } from "./commands/propose.ts";
import { registerPrune } from "./commands/prune.ts";
import { registerRecover } from "./commands/recover.ts";
import { registerRemote } from "./commands/remote.ts";
import { registerRestore } from "./commands/restore.ts";
import { registerServe } from "./commands/serve.ts";
import { registerShow } from "./commands/show.ts";
import { registerStatus } from "./commands/status.ts";
import { registerSync } from "./commands/sync.ts";
import { registerVerify } from "./commands/verify.ts";
import type { CliRuntime } from "./runtime.ts";

export function buildProgram(rt: CliRuntime): Command {
  const program = new Command("confvault")
    .description("appliance configuration in git: sealed restore points, one-command restore, cluster sync")
    .version(packageVersion())
    .option("--home <dir>", "confvault home (env CONFVAULT_HOME, default ./.confvault)")
    .option("--json", "machine-readable output")
    .option("--key-file <file>", "activation key file, mode 0600 (or env CONFVAULT_ACTIVATION_KEY)")
    .option("--actor <name>", "who makes the change (env CONFVAULT_ACTOR, default: the OS user)")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.out(s.replace(/\n$/, "")),
      writeErr: (s) => rt.err(s.replace(/\n$/, "")),
    });
  for (const register of [
    registerInit,
    registerApply,
    registerCapture,
    registerLog,
    registerShow,
    registerDiff,
    registerRestore,
    registerVerify,
    registerMaintenance,
    registerStatus,
    registerKeys,
    registerPrune,
    registerCluster,
    registerSync,
    registerServe,
    registerDemo,
    registerPropose,
    registerGithub,
    registerRemote,
    registerRecover,
  ]) {
    register(program, rt);
  }
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failed, 2 bad usage or input. */
export async function runCli(argv: string[], rt: CliRuntime): Promise<number> {
  const program = buildProgram(rt);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0)
        return 0;
      if (argv.includes("--json"))
        rt.err(JSON.stringify({ error: { code: "BAD_USAGE", message: err.message, hint: "see --help" } }));
      return 2;
    }
    const e = isConfvaultError(err)
      ? err
      : new ConfvaultError(
          "INTERNAL",
          (err as Error)?.message ?? String(err),
          "this is a bug; please report it with the log",
          {},
          err,
        );
    if (e.data.reported !== true) {
      if (argv.includes("--json")) rt.err(JSON.stringify({ error: e.toJSON() }));
      else rt.err(`error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}`);
      if (e.code === "INTERNAL" && rt.env.CONFVAULT_DEBUG) rt.err(String((err as Error)?.stack));
    }
    return exitCodeFor(e.code);
  }
}
