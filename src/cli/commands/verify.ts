import type { Command } from "commander";
import { verify } from "../../api/verify.ts";
import { ConfvaultError } from "../../errors/confvault-error.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerVerify(program: Command, rt: CliRuntime): void {
  program
    .command("verify")
    .description(
      "check repository integrity (git fsck), manifests and seals; --drill restores into a scratch folder",
    )
    .argument("[ref]", "restore point to check (default: main)")
    .option("--all", "check every restore point")
    .option(
      "--drill",
      "also restore each point into a scratch folder (results recorded in state/drills.json)",
    )
    .option("--sample <n>", "check n restore points picked at random", (v: string) => {
      if (!/^[1-9]\d*$/.test(v))
        throw new ConfvaultError(
          "BAD_USAGE",
          `--sample needs a positive whole number, got ${v}`,
          "e.g. --sample 5",
        );
      return Number(v);
    })
    .action(async (ref: string | undefined, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if ([ref !== undefined, Boolean(opts.all), opts.sample !== undefined].filter(Boolean).length > 1) {
        throw new ConfvaultError(
          "BAD_USAGE",
          "give one of REF, --all or --sample N",
          "e.g. confvault verify --drill --sample 5",
        );
      }
      const result = await verify({
        ctx,
        ref,
        all: Boolean(opts.all),
        drill: Boolean(opts.drill),
        sample: opts.sample,
      });
      const lines = [`git fsck: ${result.fsck.trim() === "" ? "clean" : result.fsck.trim()}`];
      for (const p of result.points) {
        lines.push(
          p.ok
            ? `ok    ${p.ref} (${p.checks.join(", ")})`
            : `FAIL  ${p.ref}: ${p.error?.code} ${p.error?.message}`,
        );
      }
      lines.push(result.ok ? `verified ${result.points.length} restore point(s)` : "verification FAILED");
      rt.print(cmd, result, lines.join("\n"));
      if (!result.ok)
        throw new ConfvaultError("VERIFY_FAILED", "verification failed", "see the lines marked FAIL above", {
          reported: true,
        });
    });
}
