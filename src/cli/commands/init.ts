import { type Command, Option } from "commander";
import { initHome } from "../../api/init-home.ts";
import { ConfvaultError } from "../../errors/confvault-error.ts";
import { joinCluster } from "../../sync/join-cluster.ts";
import type { CliRuntime } from "../runtime.ts";
import { selfSignedCertificate } from "../self-signed-certificate.ts";

export function registerInit(program: Command, rt: CliRuntime): void {
  program
    .command("init")
    .description(
      "create a home: settings, an empty repository, API tokens and (if none is given) an activation key",
    )
    .addOption(
      new Option("--profile <name>", "appliance profile")
        .choices(["safesquid", "opnsense", "pfsense", "generic"])
        .default("safesquid"),
    )
    .addOption(
      new Option("--role <role>", "cluster role")
        .choices(["standalone", "master", "slave"])
        .default("standalone"),
    )
    .option("--node <name>", "this node's name (default: host name)")
    .option("--cluster <name>", "cluster name (part of the sealing identity)", "default")
    .option("--live-root <dir>", "resolve every live path under this folder", "/")
    .option("--master <url>", "the master's URL (slaves)")
    .option(
      "--local-section <path>",
      "add a node-local section (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--join-token <token>", "slaves: join the master at once (from `cluster join-token` there)")
    .option("--url <url>", "slaves: this node's URL as the master reaches it")
    .option(
      "--insecure-http",
      "slaves: allow a plain http:// master (node tokens cross the network in clear)",
    )
    .option("--no-tls", "masters: do not make a self-signed TLS pair (serve plain HTTP or bring your own)")
    .action(async (opts, cmd: Command) => {
      const g = rt.globals(cmd);
      if (opts.joinToken && (opts.role !== "slave" || !opts.master || !opts.url)) {
        throw new ConfvaultError(
          "BAD_USAGE",
          "--join-token needs --role slave, --master URL and --url URL",
          "for example: init --role slave --master http://10.0.1.10:8740 --url http://10.0.1.11:8740 --join-token T",
        );
      }
      const result = await initHome({
        dir: rt.homeDir(cmd),
        profile: opts.profile,
        role: opts.role,
        node: opts.node,
        cluster: opts.cluster,
        liveRoot: opts.liveRoot,
        master: opts.master,
        keyFile: g.keyFile,
        localSections: opts.localSection,
        keyFromEnv: Boolean(rt.env.CONFVAULT_ACTIVATION_KEY),
        ...(opts.tls === false
          ? {}
          : {
              makeTlsPair: (altNames: string[]) =>
                selfSignedCertificate(`confvault ${opts.node ?? altNames.at(-1) ?? "master"}`, 825, {
                  altNames,
                }),
            }),
      });
      const lines = [
        `initialised ${result.settings.profile} home at ${result.home} (node ${result.settings.node}, cluster ${result.settings.cluster}, role ${result.settings.role})`,
        `live root: ${result.settings.liveRoot}`,
      ];
      if (result.tls) {
        lines.push(
          `made a self-signed TLS pair: ${result.tls.cert} (key beside it, mode 0600); serve speaks https://`,
          `TLS certificate SHA-256: ${result.tls.fingerprint256} (join tokens carry it; slaves pin it)`,
        );
      } else if (opts.role === "master" && opts.tls !== false) {
        lines.push("could not make a TLS pair (is openssl installed?): serve will speak plain HTTP");
      }
      if (result.generatedKeyFile) {
        lines.push(
          `generated an activation key in ${result.generatedKeyFile} (mode 0600).`,
          "KEEP A COPY OFFLINE: without it, the sealed bundles cannot be opened on another machine.",
        );
      }
      let joined: Awaited<ReturnType<typeof joinCluster>> | undefined;
      if (opts.joinToken) {
        try {
          joined = await joinCluster({
            dir: result.home,
            env: rt.env,
            keyFile: g.keyFile,
            logger: rt.logger(),
            master: opts.master,
            joinToken: opts.joinToken,
            url: opts.url,
            insecureHttp: opts.insecureHttp === true,
          });
        } catch (err) {
          // The tokens are shown once: print them before reporting the failed join.
          lines.push("API tokens (shown once, stored hashed):");
          for (const t of result.tokens) lines.push(`  ${t.name} (${t.role}): ${t.token}`);
          rt.print(cmd, result, lines.join("\n"));
          if (err instanceof ConfvaultError) {
            throw new ConfvaultError(
              err.code,
              `the home was created, but joining the master failed: ${err.message}`,
              `${err.hint ? `${err.hint}; then ` : ""}run \`confvault cluster join --master URL --join-token T --url URL\``,
              err.data,
              err,
            );
          }
          throw err;
        }
        lines.push(`joined cluster ${joined.cluster} as ${joined.node} (master ${joined.masterNode})`);
      }
      lines.push("API tokens (shown once, stored hashed):");
      for (const t of result.tokens) lines.push(`  ${t.name} (${t.role}): ${t.token}`);
      rt.print(cmd, joined ? { ...result, joined } : result, lines.join("\n"));
    });
}
