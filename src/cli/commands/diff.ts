import type { Command } from "commander";
import { diff } from "../../api/diff.ts";
import { refOrTime } from "../ref-or-time.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerDiff(program: Command, rt: CliRuntime): void {
  program
    .command("diff")
    .description("section-aware summary of policy changes between two restore points (default: REF → main)")
    .argument(
      "[ref]",
      "from: a restore point (with or without rp/), main~N, HEAD~N, @~N or a commit id; or --at TIME",
    )
    .argument("[ref2]", "to (default: main), the same forms")
    .option("--at <time>", "from the restore point in force at TIME (ISO 8601) instead of REF")
    .option("--live", "drift: from REF (default: main) to the live config.xml, secrets as markers")
    .option("--unified", "print a unified diff of config.xml (secrets as markers)")
    .option("--volatile", "include volatile fields (revision time and the like)")
    .action(async (a: string | undefined, b: string | undefined, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if (opts.live) {
        const { diffLive } = await import("../../api/diff-live.ts");
        const from = opts.at ? await refOrTime(ctx, undefined, opts.at) : (a ?? "main");
        const drift = await diffLive({ ctx, from });
        rt.print(cmd, drift, drift.text.replace(/\n$/, ""));
        return;
      }
      // With --at, the one REF given (if any) is the "to" side.
      const from = await refOrTime(ctx, opts.at ? undefined : a, opts.at);
      const to = opts.at ? a : b;
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
