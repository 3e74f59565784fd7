import { type Command, Option } from "commander";
import { initHome } from "../../api/init-home.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerInit(program: Command, rt: CliRuntime): void {
  program
    .command("init")
    .description("create a home: settings, an empty repository, API tokens and (if none is given) an activation key")
    .addOption(new Option("--profile <name>", "appliance profile").choices(["safesquid", "opnsense", "pfsense", "generic"]).default("safesquid"))
    .addOption(new Option("--role <role>", "cluster role").choices(["standalone", "master", "slave"]).default("standalone"))
    .option("--node <name>", "this node's name (default: host name)")
    .option("--cluster <name>", "cluster name (part of the sealing identity)", "default")
    .option("--live-root <dir>", "resolve every live path under this folder", "/")
    .option("--master <url>", "the master's URL (slaves)")
    .option("--local-section <path>", "add a node-local section (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (opts, cmd: Command) => {
      const g = rt.globals(cmd);
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
      });
      const lines = [
        `initialised ${result.settings.profile} home at ${result.home} (node ${result.settings.node}, cluster ${result.settings.cluster}, role ${result.settings.role})`,
        `live root: ${result.settings.liveRoot}`,
      ];
      if (result.generatedKeyFile) {
        lines.push(
          `generated an activation key in ${result.generatedKeyFile} (mode 0600).`,
          "KEEP A COPY OFFLINE: without it, the sealed bundles cannot be opened on another machine.",
        );
      }
      lines.push("API tokens (shown once, stored hashed):");
      for (const t of result.tokens) lines.push(`  ${t.name} (${t.role}): ${t.token}`);
      rt.print(cmd, result, lines.join("\n"));
    });
}
