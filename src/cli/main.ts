import { Command, CommanderError, Help } from "commander";
import { packageVersion } from "../core/package-files.ts";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import { exitCodeFor } from "../errors/status-map.ts";
import { COMMANDS, requestedCommand } from "./command-table.ts";
import type { CliRuntime } from "./runtime.ts";

/**
 * The program for one argv: the command asked for is loaded with its module; every other command
 * is only a name and a description from the command table, so `--help` or `log` do not load
 * the server, the review client or the sync code.
 */
export async function buildProgram(rt: CliRuntime, argv: readonly string[] = []): Promise<Command> {
  const json = argv.includes("--json");
  const terms = new Map<Command, string>();
  const defaultHelp = new Help();
  const program = new Command("confvault")
    .description("appliance configuration in git: sealed restore points, one-command restore, cluster sync")
    .version(packageVersion())
    .option("--home <dir>", "confvault home (env CONFVAULT_HOME, default ./.confvault)")
    .option("--json", "machine-readable output")
    .option("--key-file <file>", "activation key file, mode 0600 (or env CONFVAULT_ACTIVATION_KEY)")
    .option("--actor <name>", "who makes the change (env CONFVAULT_ACTOR, default: the OS user)")
    .exitOverride()
    .configureHelp({ subcommandTerm: (cmd) => terms.get(cmd) ?? defaultHelp.subcommandTerm(cmd) })
    .configureOutput({
      writeOut: (s) => rt.out(s.replace(/\n$/, "")),
      writeErr: (s) => rt.err(s.replace(/\n$/, "")),
      // Under --json the error goes out once, as JSON, from runCli.
      outputError: (s, write) => {
        if (!json) write(s);
      },
    });
  if (!json) program.showHelpAfterError("(run `confvault --help` for the commands and options)");
  const wanted = requestedCommand(argv);
  if (wanted) (await wanted.load())(program, rt);
  const real = new Set(program.commands.map((c) => c.name()));
  const ordered: Command[] = [];
  for (const entry of COMMANDS) {
    const done = program.commands.find((c) => c.name() === entry.name);
    if (done) {
      ordered.push(done);
      continue;
    }
    if (real.has(entry.name)) continue;
    const placeholder = new Command(entry.name).description(entry.description);
    terms.set(placeholder, entry.term);
    ordered.push(placeholder);
  }
  // Keep the table's order in the help, whatever was loaded.
  (program.commands as Command[]).splice(0);
  for (const c of ordered) program.addCommand(c);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failed, 2 bad usage or input. */
export async function runCli(argv: string[], rt: CliRuntime): Promise<number> {
  const program = await buildProgram(rt, argv);
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
