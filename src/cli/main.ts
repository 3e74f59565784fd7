import { Command, CommanderError, Help } from "commander";
import { packageVersion } from "../core/package-files.ts";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import { defaultHintFor, exitCodeFor } from "../errors/status-map.ts";
import { COMMANDS, requestedCommand } from "./command-table.ts";
import { closestName, colorEnabled, paint, usageMessage } from "./output.ts";
import type { CliRuntime } from "./runtime.ts";

/**
 * The program for one argv: the command asked for is loaded with its module; every other command
 * is only a name and a description from the command table, so `--help` or `log` do not load
 * the server, the review client or the sync code.
 */
export async function buildProgram(rt: CliRuntime, argv: readonly string[] = []): Promise<Command> {
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
      // Help written as the answer to a usage error: not under --json (one error object there).
      writeErr: (s) => {
        if (!rt.mode.json) rt.err(s.replace(/\n$/, ""));
      },
      // Every usage error goes out once, as one line (or one JSON object), from runCli.
      outputError: () => {},
    });
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

/** Services log for a journal when stderr is not a terminal (see runtime.ts). */
const SERVICE_COMMANDS = new Set(["serve", "demo"]);

/** Runs the CLI and returns the exit code: 0 ok, 1 failed, 2 bad usage or input (src/errors/error-table.ts). */
export async function runCli(argv: string[], rt: CliRuntime): Promise<number> {
  const json = argv.includes("--json");
  const wanted = requestedCommand(argv);
  rt.mode = { json, service: SERVICE_COMMANDS.has(wanted?.name ?? "") };
  try {
    const helpFor = helpTopic(argv);
    if (helpFor !== undefined && !wanted) {
      // `help aply`: the same one line as `aply`, not the whole help.
      const suggestion = closestName(
        helpFor,
        COMMANDS.map((c) => c.name),
      );
      throw new CommanderError(
        2,
        "commander.unknownCommand",
        `unknown command '${helpFor}'${suggestion ? `\n(Did you mean ${suggestion}?)` : ""}`,
      );
    }
    const program = await buildProgram(rt, argv);
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0)
        return 0;
      const e = usageError(err, wanted?.name);
      if (json || e.data.helpShown !== true) report(rt, json, e, err);
      return exitCodeFor(e.code);
    }
    const e = isConfvaultError(err)
      ? err
      : new ConfvaultError("INTERNAL", (err as Error)?.message ?? String(err), "", {}, err);
    if (e.data.reported !== true) report(rt, json, e, err);
    return exitCodeFor(e.code);
  }
}

/** The X of `confvault help X` (global options may come first), or undefined. */
function helpTopic(argv: readonly string[]): string | undefined {
  const positional = argv.filter(
    (a, i) => !a.startsWith("-") && !["--home", "--key-file", "--actor"].includes(argv[i - 1] ?? ""),
  );
  return positional[0] === "help" ? positional[1] : undefined;
}

/** A commander usage error as BAD_USAGE: one line, the suggestion in it, the help named in the hint. */
function usageError(err: CommanderError, command: string | undefined): ConfvaultError {
  const message = usageMessage(err.message);
  const suggestion = /\(did you mean ([^)?]*)\?\)/.exec(message)?.[1];
  const data: Record<string, unknown> = { reason: err.code.replace(/^commander\./, "") };
  if (suggestion) data.suggestion = suggestion;
  if (err.code === "commander.help") {
    // `confvault` alone, or a command group without its subcommand: the help was the answer.
    return new ConfvaultError(
      "BAD_USAGE",
      "a command is missing",
      `run \`confvault ${command ? `${command} ` : ""}--help\``,
      {
        ...data,
        helpShown: true,
      },
    );
  }
  return new ConfvaultError(
    "BAD_USAGE",
    message,
    suggestion ? "" : `run \`confvault ${command ? `${command} ` : ""}--help\``,
    data,
  );
}

/** One error: `error: …` and `hint: …` lines, or one JSON object under --json; on stderr. */
function report(rt: CliRuntime, json: boolean, e: ConfvaultError, cause: unknown): void {
  const hint =
    e.hint !== "" ? e.hint : e.code === "BAD_USAGE" && e.data.suggestion ? "" : defaultHintFor(e.code);
  if (json) {
    const body = e.toJSON();
    body.hint = hint !== "" ? hint : `did you mean ${String(e.data.suggestion)}?`;
    rt.err(JSON.stringify({ error: body }));
  } else {
    const color = colorEnabled(rt.env, rt.errIsTTY);
    rt.err(
      `${paint(color, "red", "error:")} ${e.message}${hint ? `\n${paint(color, "dim", "hint:")} ${hint}` : ""}`,
    );
  }
  if (e.code === "INTERNAL" && rt.env.CONFVAULT_DEBUG) rt.err(String((cause as Error)?.stack));
}
