import type { Command } from "commander";
import { resolveGithubConfig } from "../../review/github-config.ts";
import { initReviewRepo } from "../../review/init-review-repo.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerGithub(program: Command, rt: CliRuntime): void {
  const github = program.command("github").description("pull-request review through GitHub");
  github
    .command("init-repo")
    .description(
      "write README, .gitattributes, CODEOWNERS and the verify workflow into the GitHub repository as one commit",
    )
    .action(async (_opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const config = await resolveGithubConfig(ctx, rt.env, { token: true });
      const result = await initReviewRepo({ ctx, github: config, actor: rt.actor(cmd) });
      rt.print(
        cmd,
        result,
        result.changed
          ? `wrote ${result.files.join(", ")} to ${config.owner}/${config.repo} ${result.branch} (commit ${result.commit.slice(0, 12)})`
          : `${config.owner}/${config.repo} ${result.branch} already holds the templates`,
      );
    });
  github
    .command("check")
    .description("validate the GitHub settings, token and webhook secret (as serve does at start)")
    .action(async (_opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const config = await resolveGithubConfig(ctx, rt.env, { token: true, webhookSecret: true });
      const { token: _t, webhookSecret: _s, ...shown } = config;
      rt.print(
        cmd,
        shown,
        `GitHub review settings complete for ${config.owner}/${config.repo} (${config.apiUrl}, branch ${config.branch})`,
      );
    });
}
