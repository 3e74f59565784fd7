import type { Command } from "commander";
import { ConfvaultError } from "../../errors/confvault-error.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerReport(program: Command, rt: CliRuntime): void {
  const report = program
    .command("report")
    .description("the status report by e-mail (settings.reports: recipients, SMTP, weekly/monthly schedule)");
  report
    .command("send")
    .description("send the report now through SMTP (STARTTLS, auth from reports.smtp.credentialFile)")
    .option("--now", "send at once (the scheduled sends run inside `confvault serve`)")
    .option("--period <period>", "weekly (last 7 days) or monthly (last 30 days)", "weekly")
    .action(async (opts, cmd: Command) => {
      if (!opts.now) {
        throw new ConfvaultError(
          "BAD_USAGE",
          "report send needs --now (scheduled reports are sent by `confvault serve`)",
          "confvault report send --now [--period weekly|monthly]",
        );
      }
      if (opts.period !== "weekly" && opts.period !== "monthly") {
        throw new ConfvaultError(
          "BAD_USAGE",
          `--period must be weekly or monthly, got ${opts.period}`,
          "for example --period monthly",
        );
      }
      const { sendReport } = await import("../../ops/send-report.ts");
      const r = await sendReport(await rt.open(cmd), { period: opts.period });
      rt.print(
        cmd,
        r,
        `sent the ${r.period} report "${r.subject}" to ${r.accepted.join(", ")} (${r.messageId})`,
      );
    });
}
