import type { Command } from "commander";
import { restore } from "../../api/restore.ts";
import { rollback } from "../../api/rollback.ts";
import type { RestoreOutcome } from "../../core/restore-to.ts";
import { ConfvaultError } from "../../errors/confvault-error.ts";
import { positiveInt } from "../parse-args.ts";
import { refOrTime } from "../ref-or-time.ts";
import type { CliRuntime } from "../runtime.ts";

const REVISIONS =
  "restore point (with or without rp/), main, main~N, HEAD~N, @~N or a commit id (≥ 4 hex digits)";

/** Human text: names restore points by their tag where one exists, commit ids only otherwise. */
function describe(result: RestoreOutcome, verb: "restore" | "rollback"): string {
  const from = result.restoredFromTag ?? result.restoredFrom.slice(0, 12);
  if (!result.changed) {
    const head = `nothing to ${verb === "rollback" ? "roll back" : "restore"}: ${from} is already the current restore point and live; no restore point made (--record makes one anyway)`;
    return result.dryRun ? `dry run: ${head}` : head;
  }
  if (result.dryRun) {
    const doing = verb === "rollback" ? `rolling back to ${from}` : `restoring ${from}`;
    return `dry run: ${doing} would change:\n${result.diff?.text ?? ""}`.replace(/\n$/, "");
  }
  const done = verb === "rollback" ? `rolled back to ${from}` : `restored ${from}`;
  return `${done} as ${result.tag} (commit ${result.commit.slice(0, 12)})${result.liveWritten ? "" : ", live files untouched"}`;
}

/** Warnings on stderr, except the "nothing to do" note the human text already says. */
function warn(rt: CliRuntime, result: RestoreOutcome): void {
  for (const w of result.warnings)
    if (result.changed || !/already the current/.test(w)) rt.err(`warning: ${w}`);
}

export function registerRestore(program: Command, rt: CliRuntime): void {
  program
    .command("restore")
    .description("put a restore point back live (a new commit on top; history is never rewritten)")
    .argument("[ref]", `${REVISIONS}; or --at TIME`)
    .requiredOption("-m, --message <reason>", "why")
    .option(
      "--dry-run",
      "show what would change (current restore point and live config → REF); write nothing",
    )
    .option("--keep-local", "keep this node's own node-local sections")
    .option("--no-live", "commit and tag only; leave the live files alone")
    .option("--force", "restore even if the files no longer match their manifest")
    .option("--record", "make a restore point even when REF is already current and live")
    .option(
      "--section <path>",
      "partial restore: take only this section from REF, keep the rest byte for byte (repeatable; e.g. access, ldap/ldapsection[@id=107])",
      (v: string, all: string[] = []) => [...all, v],
    )
    .option(
      "--missing <mode>",
      "a chosen section on one side only: add, remove or skip (default: refuse and list them)",
    )
    .option(
      "--cert",
      "partial restore: take the root certificate and key from REF (alone, or with --section)",
    )
    .option("--key", "the same as --cert (the certificate and its key go together)")
    .option(
      "--at <time>",
      "the restore point in force at TIME (ISO 8601, e.g. 2026-11-28T10:00Z) instead of REF",
    )
    .action(async (refArg: string | undefined, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      if (opts.force) rt.err("warning: --force skips the manifest hash check");
      const ref = await refOrTime(ctx, refArg, opts.at);
      if (opts.missing !== undefined && !["add", "remove", "skip", "refuse"].includes(opts.missing)) {
        throw new ConfvaultError(
          "BAD_USAGE",
          `--missing must be add, remove or skip, got ${opts.missing}`,
          "for example --missing add",
        );
      }
      const result = await restore({
        ctx,
        ref,
        reason: opts.message,
        actor: rt.actor(cmd),
        dryRun: Boolean(opts.dryRun),
        keepLocal: Boolean(opts.keepLocal),
        noLive: opts.live === false,
        force: Boolean(opts.force),
        record: Boolean(opts.record),
        ...(opts.section ? { sections: opts.section } : {}),
        ...(opts.missing ? { missing: opts.missing } : {}),
        ...(opts.cert || opts.key ? { certificate: true } : {}),
      });
      warn(rt, result);
      rt.print(cmd, result, describe(result, "restore"));
    });

  program
    .command("rollback")
    .description("go back to the policy before the current one (or --steps N distinct policies back)")
    .requiredOption("-m, --message <reason>", "why")
    .option("--steps <n>", "how many distinct policies to go back", positiveInt, 1)
    .option(
      "--dry-run",
      "show what would change (current restore point and live config → the target); write nothing",
    )
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const result = await rollback({
        ctx,
        steps: opts.steps,
        reason: opts.message,
        actor: rt.actor(cmd),
        dryRun: Boolean(opts.dryRun),
      });
      warn(rt, result);
      rt.print(cmd, result, describe(result, "rollback"));
    });
}
