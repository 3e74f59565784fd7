import type { Command } from "commander";
import { createGithubClient } from "../../review/github-client.ts";
import { resolveGithubConfig } from "../../review/github-config.ts";
import { proposeChange } from "../../review/propose-change.ts";
import { readInputFile, readTextFile } from "../read-input.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerPropose(program: Command, rt: CliRuntime): void {
  program
    .command("propose")
    .description(
      "open a GitHub pull request for a config change (validated and sealed like an apply; nothing is applied)",
    )
    .argument("<file>", "config.xml to propose (- for stdin)")
    .requiredOption("-m, --message <reason>", "why this change (the pull request's title and reason)")
    .option("--slug <slug>", "branch name after propose/ (default: from the reason and the time)")
    .option("--cert <pem>", "root certificate (PEM) to propose with it")
    .option("--key <pem>", "root private key (PEM) to propose with it")
    .action(async (file: string, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const github = await resolveGithubConfig(ctx, rt.env, { token: true });
      const client = createGithubClient({ token: github.token!, apiUrl: github.apiUrl, logger: ctx.logger });
      const result = await proposeChange({
        ctx,
        github,
        client,
        config: await readInputFile(file, "config"),
        cert: await readTextFile(opts.cert, "certificate"),
        key: await readTextFile(opts.key, "private key"),
        reason: opts.message,
        actor: rt.actor(cmd),
        slug: opts.slug,
      });
      rt.print(cmd, result, result.url);
    });
}
