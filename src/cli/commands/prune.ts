import type { Command } from "commander";
import { prune } from "../../api/prune.ts";
import { DEFAULT_RETENTION, type RetentionPolicy } from "../../backup/retention-plan.ts";
import type { CliRuntime } from "../runtime.ts";

const count = (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v)) throw new Error("expected a whole number");
  return n;
};

export function registerPrune(program: Command, rt: CliRuntime): void {
  program
    .command("prune")
    .description(
      "remove restore-point tags the retention policy does not keep (history stays; removals are recorded)",
    )
    .option("--keep-last <n>", "keep the newest n", count)
    .option("--keep-hourly <n>", "keep the newest of each of the last n hours", count)
    .option("--keep-daily <n>", "… days", count)
    .option("--keep-weekly <n>", "… ISO weeks", count)
    .option("--keep-monthly <n>", "… months", count)
    .option("--keep-yearly <n>", "… years", count)
    .option("--dry-run", "list what would go and why; remove nothing")
    .action(async (opts, cmd: Command) => {
      const given: RetentionPolicy = {
        keepLast: opts.keepLast,
        keepHourly: opts.keepHourly,
        keepDaily: opts.keepDaily,
        keepWeekly: opts.keepWeekly,
        keepMonthly: opts.keepMonthly,
        keepYearly: opts.keepYearly,
      };
      const anyGiven = Object.values(given).some((v) => v !== undefined);
      const policy: RetentionPolicy = anyGiven ? given : DEFAULT_RETENTION;
      const r = await prune({
        ctx: await rt.open(cmd),
        policy,
        dryRun: Boolean(opts.dryRun),
        actor: rt.actor(cmd),
      });
      const lines = [
        ...r.removed.map((d) => `${r.dryRun ? "would remove" : "removed"}  ${d.tag}  (kept by no rule)`),
        ...r.kept.map((d) => `keep          ${d.tag}  (${d.reasons.join(", ")})`),
        `${r.dryRun ? "dry run: " : ""}${r.removed.length} to remove, ${r.kept.length} kept${r.auditCommit ? `; recorded on branch confvault-audit (${r.auditCommit.slice(0, 12)})` : ""}`,
      ];
      rt.print(cmd, r, lines.join("\n"));
    });
}
