import type { Command } from "commander";
import { diff } from "../../api/diff.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerDiff(program: Command, rt: CliRuntime): void {
  program
    .command("diff")
    .description("section-aware summary of policy changes between two restore points (default: REF → main)")
    .argument("<ref>", "from: a restore point (with or without rp/), main~N, HEAD~N, @~N or a commit id")
    .argument("[ref2]", "to (default: main), the same forms")
    .option("--unified", "print a unified diff of config.xml (secrets as markers)")
    .option("--volatile", "include volatile fields (revision time and the like)")
    .action(async (from: string, to: string | undefined, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const result = await diff({
        ctx,
        from,
        to,
        unified: Boolean(opts.unified),
        showVolatile: Boolean(opts.volatile),
      });
      rt.print(cmd, result, opts.unified ? (result.unified ?? "") : result.text || "no policy changes");
    });
}
