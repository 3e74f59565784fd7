import { promises as fsp } from "node:fs";
import type { Command } from "commander";
import type { RolloutState } from "../../sync/fan-out.ts";
import { readJson, syncPaths, writeJson } from "../../sync/json-state.ts";
import { requireMaster } from "../../sync/require-master.ts";
import { formatSyncStatus, readSyncStatus } from "../../sync/sync-status.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerSync(program: Command, rt: CliRuntime): void {
  const sync = program.command("sync").description("cluster sync: rollout status, resume a held rollout");

  sync
    .command("resume")
    .description("on the master: continue a rollout a failed canary held (canary first again)")
    .option("--skip-canary", "push to every slave at once")
    .option("--no-wait", "do not wait for the running serve process to take the request")
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      requireMaster(ctx, "run `sync resume` on the master");
      const paths = syncPaths(ctx.layout.state);
      const rollout = await readJson<RolloutState>(paths.rollout, {});
      if (!rollout.held) {
        rt.print(cmd, { resumed: null }, "nothing is held: every restore point was released");
        return;
      }
      // The serve process owns the rollout: hand it the request through the state folder.
      await writeJson(paths.resume, { skipCanary: Boolean(opts.skipCanary), at: ctx.now().toISOString() });
      let taken = !opts.wait;
      for (let i = 0; i < 50 && !taken; i++) {
        await new Promise((r) => setTimeout(r, 100));
        taken = !(await fsp.stat(paths.resume).catch(() => undefined));
      }
      const held = rollout.held;
      const what = held.tag || held.commit.slice(0, 12);
      rt.print(
        cmd,
        { resumed: held, taken },
        taken
          ? `resumed the rollout of ${what}${opts.skipCanary ? " to every slave" : " (canary first)"}`
          : `resume of ${what} requested; it starts when \`confvault serve\` runs on this master`,
      );
    });

  sync
    .command("status")
    .description("same as `cluster status`")
    .action(async (_opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const s = await readSyncStatus(ctx);
      rt.print(cmd, s, formatSyncStatus(s));
    });
}
