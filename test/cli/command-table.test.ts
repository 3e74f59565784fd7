import { Command, Help } from "commander";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { COMMANDS, requestedCommand } from "../../src/cli/command-table.ts";
import type { CliRuntime } from "../../src/cli/runtime.ts";

const rt = { env: {}, out() {}, err() {} } as unknown as CliRuntime;

test("the command table names, describes and shows every command exactly as its module defines it", async () => {
  const help = new Help();
  for (const entry of COMMANDS) {
    const program = new Command();
    (await entry.load())(program, rt);
    const real = program.commands.find((c) => c.name() === entry.name);
    assert.ok(real, `${entry.name} is registered by the module the table names`);
    assert.is(entry.description, real.description(), `${entry.name}: description`);
    assert.is(entry.term, help.subcommandTerm(real), `${entry.name}: usage term`);
  }
});

test("every command a module defines is in the table", async () => {
  const names = new Set(COMMANDS.map((c) => c.name));
  for (const entry of COMMANDS) {
    const program = new Command();
    (await entry.load())(program, rt);
    for (const c of program.commands) assert.ok(names.has(c.name()), `${c.name()} is in the table`);
  }
});

test("the requested command is found past global options, and `help X` asks for X", () => {
  assert.is(requestedCommand(["--home", "/h", "--json", "log", "-n", "1"])?.name, "log");
  assert.is(requestedCommand(["--home=/h", "apply", "x.xml"])?.name, "apply");
  assert.is(requestedCommand(["help", "restore"])?.name, "restore");
  assert.is(requestedCommand(["--key-file", "apply", "status"])?.name, "status");
  assert.is(requestedCommand(["--help"]), undefined);
  assert.is(requestedCommand(["aply"]), undefined);
});

test.run();
