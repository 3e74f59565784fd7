import type { Command } from "commander";
import { status } from "../../api/status.ts";
import { readDrills } from "../../ops/drill-store.ts";
import { buildOpsReport, formatOpsReport } from "../../ops/ops-report.ts";
import { formatSyncStatus } from "../../sync/sync-status.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerStatus(program: Command, rt: CliRuntime): void {
  program
    .command("status")
    .description("this node: role, current restore point, drift of the live files, certificate expiry")
    .option(
      "--report",
      "backup operations report: schedules, success rates, sizes, remotes, drills, nodes, certificate (markdown; JSON with --json)",
    )
    .option(
      "--diff",
      "also show what drifted: the policy diff from the current restore point to the live config",
    )
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if (opts.report) {
        const report = await buildOpsReport(ctx);
        rt.print(cmd, report, formatOpsReport(report));
        return;
      }
      const s = await status({ ctx });
      const latest = s.latest as { tag: string; time: string } | null;
      const cert = s.certificate as
        | { subject: string; notAfter: string; expiresInDays: number; warning: boolean }
        | null
        | undefined;
      const lines = [
        `node ${s.node} (${s.role}, cluster ${s.cluster}, profile ${s.profile})`,
        `restore points: ${s.restorePoints}${latest ? `, latest ${latest.tag} at ${latest.time}` : ""}`,
        `live config: ${s.liveConfig}${s.drift ? ` (drift: ${s.drift})` : ""}`,
        cert
          ? `certificate: ${cert.subject}, expires ${cert.notAfter} (${cert.expiresInDays} days)${cert.warning ? " WARNING" : ""}`
          : "certificate: none recorded",
        `repository: ${((s.repositoryBytes as number) / 1048576).toFixed(2)} MiB`,
      ];
      if (s.sync !== undefined)
        lines.push(formatSyncStatus(s.sync as Parameters<typeof formatSyncStatus>[0]));
      const drills = await readDrills(ctx.layout.state);
      s.lastGoodDrill = drills.lastSuccess;
      lines.push(
        `last good drill: ${drills.lastSuccess ? `${drills.lastSuccess.ref} at ${drills.lastSuccess.time}` : "never (run: confvault verify --drill)"}`,
      );
      if (opts.diff && s.restorePoints) {
        const { diffLive } = await import("../../api/diff-live.ts");
        const drift = await diffLive({ ctx });
        s.driftDiff = drift;
        lines.push(drift.text.replace(/\n$/, ""));
      }
      rt.print(cmd, s, lines.join("\n"));
    });
}
