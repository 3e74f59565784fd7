import type { Command } from "commander";
import { capture } from "../../api/capture.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerCapture(program: Command, rt: CliRuntime): void {
  program
    .command("capture")
    .description(
      "commit the live files if they changed beyond volatile fields (edits made in the appliance's own UI)",
    )
    .option("-m, --message <reason>", "why (default: captured a change made on the appliance)")
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const result = await capture({ ctx, reason: opts.message, actor: rt.actor(cmd) });
      rt.print(
        cmd,
        result,
        result.changed
          ? `captured ${result.tag} (commit ${result.commit.slice(0, 12)})`
          : "no change beyond volatile fields",
      );
    });
}
