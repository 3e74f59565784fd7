import type { Command } from "commander";
import { undelete } from "../../api/undelete.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerUndelete(program: Command, rt: CliRuntime): void {
  program
    .command("undelete")
    .argument("<tag>", "a restore point prune moved to the trash (see `log --deleted`)")
    .description("bring a pruned restore point back from the trash (kept retention.trashDays, default 7)")
    .action(async (tag: string, _opts, cmd: Command) => {
      const r = await undelete({ ctx: await rt.open(cmd), tag });
      rt.print(cmd, r, `brought back ${r.tag} (${r.commit.slice(0, 12)}, deleted ${r.deletedAt})`);
    });
}
