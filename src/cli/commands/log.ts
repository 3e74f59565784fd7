import type { Command } from "commander";
import { listRestorePoints } from "../../api/list-restore-points.ts";
import { positiveInt } from "../parse-args.ts";
import { renderLog } from "../render-log.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerLog(program: Command, rt: CliRuntime): void {
  program
    .command("log")
    .description("restore points, newest first: tag, time, actor, reason, commit")
    .option("-n, --number <n>", "show at most n", positiveInt)
    .option("--deleted", "restore points prune moved to the trash (bring one back with `undelete TAG`)")
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if (opts.deleted) {
        const { listDeleted } = await import("../../api/undelete.ts");
        const deleted = (await listDeleted({ ctx })).slice(0, opts.number ?? Number.POSITIVE_INFINITY);
        const width = Math.max(3, ...deleted.map((d) => d.tag.length));
        const lines = deleted.map(
          (d) => `${d.tag.padEnd(width)}  deleted ${d.deletedAt}  expires ${d.expiresAt}  ${d.subject}`,
        );
        rt.print(cmd, { deleted }, lines.length > 0 ? lines.join("\n") : "the trash is empty");
        return;
      }
      const points = await listRestorePoints({ ctx, limit: opts.number });
      const human = renderLog(points, { now: ctx.now(), color: rt.color });
      rt.print(cmd, { restorePoints: points }, human);
    });
}
