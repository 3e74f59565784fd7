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
    .option(
      "--remote <name>",
      "check an s3:// remote: index signature, every bundle (sha256, git bundle verify), fsck",
    )
    .action(async (ref: string | undefined, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if (opts.remote !== undefined) {
        if (ref !== undefined || opts.all || opts.sample !== undefined || opts.drill)
          throw new ConfvaultError(
            "BAD_USAGE",
            "--remote takes no REF, --all, --sample or --drill",
            "e.g. confvault verify --remote bucket",
          );
        const r = await verify({ ctx, remote: opts.remote, env: rt.env });
        const s3 = r.remote!;
        const lines = [
          ...s3.index.map((i) =>
            i.ok ? `ok    index ${i.key} (signature)` : `FAIL  index ${i.key}: ${i.error}`,
          ),
          ...s3.bundles.map((b) =>
            b.ok
              ? `ok    ${b.key} (${b.checks.join(", ")})`
              : `FAIL  ${b.key}: ${b.error?.code} ${b.error?.message}`,
          ),
          `git fsck --strict of the rebuilt history: ${s3.fsck === "" ? "clean" : s3.fsck}`,
          s3.ok
            ? `verified ${s3.where}: ${s3.bundles.length} bundle(s), ${s3.tags} restore point(s), main ${s3.main?.slice(0, 12) ?? "(none)"}`
            : "verification FAILED",
        ];
        rt.print(cmd, r, lines.join("\n"));
        if (!r.ok)
          throw new ConfvaultError(
            "VERIFY_FAILED",
            "verification failed",
            "see the lines marked FAIL above",
            { reported: true },
          );
        return;
      }
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
