import type { Command } from "commander";
import { applyConfig } from "../../api/apply.ts";
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
    .option("--dry-run", "validate and show what would happen; write nothing")
    .option("--no-live", "commit and tag only; leave the live files alone")
    .action(async (file: string, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const result = await applyConfig({
        ctx,
        config: await readInputFile(file, "config"),
        cert: await readTextFile(opts.cert, "certificate"),
        key: await readTextFile(opts.key, "private key"),
        reason: opts.message,
        actor: rt.actor(cmd),
        tag: opts.tag,
        dryRun: Boolean(opts.dryRun),
        noLive: opts.live === false,
      });
      for (const w of result.warnings) rt.err(`warning: ${w}`);
      const human = result.dryRun
        ? result.changed
          ? "dry run: the config is valid and would make a new restore point"
          : "dry run: no change"
        : result.changed
          ? `applied ${result.tag} (commit ${result.commit.slice(0, 12)})${result.liveWritten ? "" : ", live files untouched"}`
          : `no change: already at ${result.tag || result.commit.slice(0, 12)}`;
      rt.print(cmd, result, human);
    });
}
