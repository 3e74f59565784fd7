import type { Command } from "commander";
import { restore } from "../../api/restore.ts";
import { rollback } from "../../api/rollback.ts";
import type { RestoreResult } from "../../api/types.ts";
import { positiveInt } from "../parse-args.ts";
import type { CliRuntime } from "../runtime.ts";

function describe(result: RestoreResult): string {
  if (result.dryRun) return `dry run: would restore ${result.restoredFrom.slice(0, 12)}`;
  return `restored ${result.restoredFrom.slice(0, 12)} as ${result.tag} (commit ${result.commit.slice(0, 12)})${result.liveWritten ? "" : ", live files untouched"}`;
}

export function registerRestore(program: Command, rt: CliRuntime): void {
  program
    .command("restore")
    .description("put a restore point back live (a new commit on top; history is never rewritten)")
    .argument("<ref>", "restore point tag (rp/…), branch or commit")
    .requiredOption("-m, --message <reason>", "why")
    .option("--dry-run", "check the restore point can be restored; write nothing")
    .option("--keep-local", "keep this node's own node-local sections")
    .option("--no-live", "commit and tag only; leave the live files alone")
    .option("--force", "restore even if the files no longer match their manifest")
    .action(async (ref: string, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if (opts.force) rt.err("warning: --force skips the manifest hash check");
      const result = await restore({
        ctx,
        ref,
        reason: opts.message,
        actor: rt.actor(cmd),
        dryRun: Boolean(opts.dryRun),
        keepLocal: Boolean(opts.keepLocal),
        noLive: opts.live === false,
        force: Boolean(opts.force),
      });
      for (const w of result.warnings) rt.err(`warning: ${w}`);
      rt.print(cmd, result, describe(result));
    });

  program
    .command("rollback")
    .description("restore the state before the last change (or --steps N changes ago)")
    .requiredOption("-m, --message <reason>", "why")
    .option("--steps <n>", "how many changes to go back", positiveInt, 1)
    .option("--dry-run", "write nothing")
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const result = await rollback({
        ctx,
        steps: opts.steps,
        reason: opts.message,
        actor: rt.actor(cmd),
        dryRun: Boolean(opts.dryRun),
      });
      for (const w of result.warnings) rt.err(`warning: ${w}`);
      rt.print(cmd, result, describe(result));
    });
}
