import { promises as fsp } from "node:fs";
import type { Command } from "commander";
import { showFile } from "../../api/show-file.ts";
import { binaryRefusal } from "../output.ts";
import { refOrTime } from "../ref-or-time.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerShow(program: Command, rt: CliRuntime): void {
  program
    .command("show")
    .description(
      "print a file as it was at a restore point (config.xml: the applied bytes, secrets put back)",
    )
    .argument(
      "[ref]",
      "restore point (with or without rp/), main, main~N, HEAD~N, @~N or a commit id (≥ 4 hex digits); or --at TIME",
    )
    .option("--at <time>", "the restore point in force at TIME (ISO 8601, e.g. 2026-11-28T10:00Z)")
    .option(
      "--file <name>",
      "config.xml | committed/config.xml | manifest.json | secrets.sealed.age",
      "config.xml",
    )
    .option("--output <file>", "write the file there (mode 0600) instead of to stdout")
    .action(async (refArg: string | undefined, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const ref = await refOrTime(ctx, refArg, opts.at);
      const bytes = await showFile({ ctx, ref, file: opts.file });
      if (opts.output) {
        // Mode 0600: config.xml comes back with its secrets put in.
        await fsp.writeFile(opts.output, bytes, { mode: 0o600 });
        rt.print(cmd, { ref, file: opts.file, output: opts.output, bytes: bytes.length }, "");
      } else if (rt.globals(cmd).json)
        rt.print(cmd, { ref, file: opts.file, base64: Buffer.from(bytes).toString("base64") }, "");
      else {
        // Binary (secrets.sealed.age) is refused on a terminal; piped, the bytes go out as they are.
        const refused = binaryRefusal(bytes, rt.isTTY, opts.file);
        if (refused) throw refused;
        rt.outBytes(bytes);
      }
    });
}
