import type { Command } from "commander";
import { applyConfig } from "../../api/apply.ts";
import { previewChange } from "../../api/diff.ts";
import { readInputFile, readTextFile } from "../read-input.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerApply(program: Command, rt: CliRuntime): void {
  program
    .command("apply")
    .description("apply a config: validate, seal secrets, commit, tag, write the live files, run hooks")
    .argument("<file>", "config.xml to apply (- for stdin)")
    .requiredOption("-m, --message <reason>", "why this change (recorded in the restore point)")
    .option("--cert <pem>", "root certificate (PEM) to apply with it")
    .option("--key <pem>", "root private key (PEM) to apply with it")
    .option("--tag <name>", "name the restore point rp/<name> instead of a timestamp")
    .option(
      "--dry-run",
      "validate and show what would change (current restore point and live config); write nothing",
    )
    .option("--no-live", "commit and tag only; leave the live files alone")
    .action(async (file: string, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const config = await readInputFile(file, "config");
      const result = await applyConfig({
        ctx,
        config,
        cert: await readTextFile(opts.cert, "certificate"),
        key: await readTextFile(opts.key, "private key"),
        reason: opts.message,
        actor: rt.actor(cmd),
        tag: opts.tag,
        dryRun: Boolean(opts.dryRun),
        noLive: opts.live === false,
      });
      for (const w of result.warnings) rt.err(`warning: ${w}`);
      if (result.dryRun) {
        // The semantic diff of what the apply would change: in the repository and on this machine.
        const diff = await previewChange(ctx, { config });
        const head = result.changed
          ? "dry run: the config is valid and would make a new restore point; it would change:"
          : "dry run: no change to the current restore point (nothing would be committed)";
        rt.print(cmd, { ...result, diff }, `${head}\n${diff.text}`.replace(/\n$/, ""));
        return;
      }
      const human = result.changed
        ? `applied ${result.tag} (commit ${result.commit.slice(0, 12)})${result.liveWritten ? "" : ", live files untouched"}`
        : `no change: already at ${result.tag || result.commit.slice(0, 12)}`;
      rt.print(cmd, result, human);
    });
}
