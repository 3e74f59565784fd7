import { type Command, Option } from "commander";
import { type RecoverResult, recover } from "../../api/recover.ts";
import type { CliRuntime } from "../runtime.ts";

function describe(r: RecoverResult): string {
  const lines = [
    `recovered ${r.ref} (commit ${r.commit.slice(0, 12)}, made ${r.manifest.createdAt} on ${r.manifest.node}, cluster ${r.manifest.cluster}) from ${r.from}`,
    ...r.liveWritten.map((f) => `  wrote ${f}`),
    `home: ${r.home} (profile ${r.settings.profile}, node ${r.settings.node}, cluster ${r.settings.cluster}); remote 'origin' registered`,
    r.shallow ? "history: only the recovered point (shallow)" : "history: complete",
    `live files after ${r.timings.live} ms${r.timings.history !== undefined ? `, full history after ${r.timings.history} ms` : ""}`,
    "API tokens (shown once, stored hashed):",
    ...r.tokens.map((t) => `  ${t.name} (${t.role}): ${t.token}`),
  ];
  return lines.join("\n");
}

export function registerRecover(program: Command, rt: CliRuntime): void {
  program
    .command("recover")
    .description(
      "disaster recovery: build a new home from a remote and put a restore point live (needs the activation key)",
    )
    .requiredOption("--from <url>", "the remote (http(s), ssh, a path, or s3://bucket/prefix)")
    .option(
      "--endpoint <url>",
      "s3: the service endpoint (default: AWS); credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
    )
    .option("--region <region>", "s3: the region (default us-east-1)")
    .option("--path-style", "s3: path-style addressing (MinIO and most self-hosted stores)")
    .option("--ref <rp>", "restore point to put live (default: the latest, the remote's main)")
    .option("--keep-local", "keep the node-local sections of a config.xml already on this machine")
    .option(
      "--force",
      "accept files that no longer match their manifest (a bad seal or a wrong key is never accepted)",
    )
    .option("--allow-foreign-cluster", "accept a restore point made by another cluster than --cluster")
    .addOption(
      new Option("--profile <name>", "appliance profile (default: the restore point's)").choices([
        "safesquid",
        "opnsense",
        "pfsense",
        "generic",
      ]),
    )
    .option("--live-root <dir>", "resolve every live path under this folder", "/")
    .option("--node <name>", "this node's name (default: the restore point's)")
    .option("--cluster <name>", "this node's cluster (default: the restore point's)")
    .option("--token-env <var>", "environment variable holding the remote's token (kept for `origin`)")
    .option("--username <name>", "user name sent with the token", "x-access-token")
    .option("--shallow", "do not fetch the full history after the live files are written")
    .action(async (opts, cmd: Command) => {
      const g = rt.globals(cmd);
      if (opts.force)
        rt.err(
          "warning: --force accepts files that do not match their manifest (seals and keys are still checked)",
        );
      const result = await recover({
        dir: rt.homeDir(cmd),
        from: opts.from,
        ...(opts.endpoint || opts.region || opts.pathStyle
          ? {
              s3: {
                ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
                ...(opts.region ? { region: opts.region } : {}),
                ...(opts.pathStyle ? { pathStyle: true } : {}),
              },
            }
          : {}),
        ref: opts.ref,
        keepLocal: Boolean(opts.keepLocal),
        force: Boolean(opts.force),
        allowForeignCluster: Boolean(opts.allowForeignCluster),
        profile: opts.profile,
        liveRoot: opts.liveRoot,
        node: opts.node,
        cluster: opts.cluster,
        keyFile: g.keyFile,
        env: rt.env,
        tokenEnv: opts.tokenEnv,
        username: opts.username,
        shallow: Boolean(opts.shallow),
        logger: rt.logger(),
      });
      for (const w of result.warnings) rt.err(`warning: ${w}`);
      rt.print(cmd, result, describe(result));
    });
}
