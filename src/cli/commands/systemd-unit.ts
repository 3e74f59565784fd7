import type { Command } from "commander";
import { renderSystemdUnit } from "../../api/render-systemd-unit.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerSystemdUnit(program: Command, rt: CliRuntime): void {
  program
    .command("systemd-unit")
    .description(
      "print a hardened systemd unit for this home (its profile's live folders writable, nothing else)",
    )
    .option("--user <name>", "the service user", "confvault")
    .option(
      "--credential <file>",
      "the activation key file systemd passes in (LoadCredential=)",
      "/etc/confvault/activation.key",
    )
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const unit = await renderSystemdUnit({ ctx, user: opts.user, keyFile: opts.credential });
      rt.print(cmd, { unit }, unit);
    });
}
