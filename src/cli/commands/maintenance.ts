import type { Command } from "commander";
import { maintenance } from "../../api/maintenance.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerMaintenance(program: Command, rt: CliRuntime): void {
  program
    .command("maintenance")
    .description("pack the repository with the git CLI (isomorphic-git writes loose objects only)")
    .action(async (_opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const r = await maintenance({ ctx });
      const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
      rt.print(
        cmd,
        r,
        `packed: ${r.looseBefore} loose objects → ${r.looseAfter}; ${mib(r.sizeBefore)} → ${mib(r.sizeAfter)}`,
      );
    });
}
