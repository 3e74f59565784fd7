import type { Command } from "commander";
import { showFile } from "../../api/show-file.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerShow(program: Command, rt: CliRuntime): void {
  program
    .command("show")
    .description(
      "print a file as it was at a restore point (config.xml: the applied bytes, secrets put back)",
    )
    .argument(
      "<ref>",
      "restore point (with or without rp/), main, main~N, HEAD~N, @~N or a commit id (≥ 4 hex digits)",
    )
    .option(
      "--file <name>",
      "config.xml | committed/config.xml | manifest.json | secrets.sealed.age",
      "config.xml",
    )
    .action(async (ref: string, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const bytes = await showFile({ ctx, ref, file: opts.file });
      if (rt.globals(cmd).json)
        rt.out(JSON.stringify({ ref, file: opts.file, base64: Buffer.from(bytes).toString("base64") }));
      else process.stdout.write(bytes);
    });
}
