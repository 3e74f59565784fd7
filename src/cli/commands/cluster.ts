import type { Command } from "commander";
import { ConfvaultError } from "../../errors/confvault-error.ts";
import { readTlsIdentity } from "../../server/tls-files.ts";
import { joinCluster } from "../../sync/join-cluster.ts";
import { createJoinToken, ensureClusterSecret } from "../../sync/join-tokens.ts";
import { syncPaths } from "../../sync/json-state.ts";
import { requireMaster } from "../../sync/require-master.ts";
import { formatSyncStatus, readSyncStatus } from "../../sync/sync-status.ts";
import { positiveInt } from "../parse-args.ts";
import type { CliRuntime } from "../runtime.ts";

/** "90s", "30m", "1h", "7d" → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!m)
    throw new ConfvaultError("BAD_USAGE", `"${value}" is not a duration`, "use e.g. 90s, 30m, 1h or 7d");
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? "s") as "s"];
  return Number(m[1]) * unit;
}

export function registerCluster(program: Command, rt: CliRuntime): void {
  const cluster = program
    .command("cluster")
    .description("cluster membership: join tokens, joining a master, node status");

  cluster
    .command("join-token")
    .description("on the master: print a join token for new slaves (shown once, stored hashed)")
    .option("--ttl <duration>", "how long the token is valid (90s, 30m, 1h, 7d)", "1h")
    .option("--uses <n>", "how many slaves may join with it", positiveInt, 1)
    .action(async (opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      requireMaster(ctx, "create join tokens on the master (init --role master)");
      const paths = syncPaths(ctx.layout.state);
      await ensureClusterSecret(paths.clusterSecret);
      const made = await createJoinToken(paths.joinTokens, {
        ttlMs: parseDuration(opts.ttl),
        uses: opts.uses,
        now: ctx.now(),
        masterKey: (await ctx.keys()).signer.sshPublicKey,
        tlsFingerprint256: (await readTlsIdentity(ctx.layout).catch(() => null))?.fingerprint256,
      });
      rt.print(cmd, { ...made, uses: opts.uses, cluster: ctx.settings.cluster }, made.token);
      if (!rt.globals(cmd).json) {
        rt.err(
          `valid until ${made.expiresAt} for ${opts.uses} join(s); on the slave run:\n  confvault init --role slave --master URL --join-token ${made.token} --url http://SLAVE:PORT`,
        );
      }
    });

  cluster
    .command("join")
    .description("on a slave: join a master with a join token (the master's serve must be running)")
    .requiredOption("--master <url>", "the master's URL")
    .requiredOption("--join-token <token>", "from `confvault cluster join-token` on the master")
    .requiredOption("--url <url>", "this slave's URL as the master reaches it")
    .option(
      "--insecure-http",
      "allow a plain http:// master: node tokens and releases cross the network in clear",
    )
    .action(async (opts, cmd: Command) => {
      const g = rt.globals(cmd);
      const r = await joinCluster({
        dir: rt.homeDir(cmd),
        env: rt.env,
        keyFile: g.keyFile,
        logger: rt.logger(),
        master: opts.master,
        joinToken: opts.joinToken,
        url: opts.url,
        insecureHttp: opts.insecureHttp === true,
      });
      rt.print(
        cmd,
        r,
        `joined cluster ${r.cluster} as ${r.node} (master ${r.masterNode})${r.adoptedCluster ? "; adopted the master's cluster name" : ""}`,
      );
    });

  cluster
    .command("status")
    .description("nodes, what each applied, lag, last contact, health, drift, held rollouts")
    .action(async (_opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const s = await readSyncStatus(ctx);
      rt.print(cmd, s, formatSyncStatus(s));
    });
}
