import type { Command } from "commander";
import type { CliRuntime } from "./runtime.ts";

type Register = (program: Command, rt: CliRuntime) => void;

/** One top-level command: what `--help` lists, and the module that defines it (loaded only when used). */
export interface CommandEntry {
  name: string;
  /** As commander prints it in the command list. */
  term: string;
  description: string;
  load(): Promise<Register>;
}

/*
 * The command list without loading any command: `confvault --help` and a typo need only these
 * names, and a command loads its own module (and through it the engine, the server, …) alone.
 * test/cli/command-table.test.ts checks every entry against the module it names.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "init",
    term: "init [options]",
    description:
      "create a home: settings, an empty repository, API tokens and (if none is given) an activation key",
    load: async () => (await import("./commands/init.ts")).registerInit,
  },
  {
    name: "apply",
    term: "apply [options] <file>",
    description: "apply a config: validate, seal secrets, commit, tag, write the live files, run hooks",
    load: async () => (await import("./commands/apply.ts")).registerApply,
  },
  {
    name: "capture",
    term: "capture [options]",
    description:
      "commit the live files if they changed beyond volatile fields (edits made in the appliance's own UI)",
    load: async () => (await import("./commands/capture.ts")).registerCapture,
  },
  {
    name: "log",
    term: "log [options]",
    description: "restore points, newest first: tag, time, actor, reason, commit",
    load: async () => (await import("./commands/log.ts")).registerLog,
  },
  {
    name: "show",
    term: "show [options] [ref]",
    description:
      "print a file as it was at a restore point (config.xml: the applied bytes, secrets put back)",
    load: async () => (await import("./commands/show.ts")).registerShow,
  },
  {
    name: "diff",
    term: "diff [options] [ref] [ref2]",
    description: "section-aware summary of policy changes between two restore points (default: REF → main)",
    load: async () => (await import("./commands/diff.ts")).registerDiff,
  },
  {
    name: "restore",
    term: "restore [options] [ref]",
    description: "put a restore point back live (a new commit on top; history is never rewritten)",
    load: async () => (await import("./commands/restore.ts")).registerRestore,
  },
  {
    name: "rollback",
    term: "rollback [options]",
    description: "go back to the policy before the current one (or --steps N distinct policies back)",
    load: async () => (await import("./commands/restore.ts")).registerRestore,
  },
  {
    name: "verify",
    term: "verify [options] [ref]",
    description:
      "check repository integrity (git fsck), manifests and seals; --drill restores into a scratch folder",
    load: async () => (await import("./commands/verify.ts")).registerVerify,
  },
  {
    name: "maintenance",
    term: "maintenance",
    description: "pack the repository with the git CLI (isomorphic-git writes loose objects only)",
    load: async () => (await import("./commands/maintenance.ts")).registerMaintenance,
  },
  {
    name: "status",
    term: "status [options]",
    description: "this node: role, current restore point, drift of the live files, certificate expiry",
    load: async () => (await import("./commands/status.ts")).registerStatus,
  },
  {
    name: "keys",
    term: "keys",
    description: "the sealing identity (derived from the activation key) and escrow recipients",
    load: async () => (await import("./commands/keys.ts")).registerKeys,
  },
  {
    name: "prune",
    term: "prune [options]",
    description:
      "remove restore-point tags the retention policy does not keep (history stays; removals are recorded)",
    load: async () => (await import("./commands/prune.ts")).registerPrune,
  },
  {
    name: "cluster",
    term: "cluster",
    description: "cluster membership: join tokens, joining a master, node status",
    load: async () => (await import("./commands/cluster.ts")).registerCluster,
  },
  {
    name: "sync",
    term: "sync",
    description: "cluster sync: rollout status, resume a held rollout",
    load: async () => (await import("./commands/sync.ts")).registerSync,
  },
  {
    name: "serve",
    term: "serve [options]",
    description: "run the HTTP(S) service on this home (master or slave by the home's role)",
    load: async () => (await import("./commands/serve.ts")).registerServe,
  },
  {
    name: "demo",
    term: "demo [options]",
    description:
      "run the service on the embedded default: a local home with the bundled SafeSquid sample (npm start)",
    load: async () => (await import("./commands/demo.ts")).registerDemo,
  },
  {
    name: "undelete",
    term: "undelete <tag>",
    description: "bring a pruned restore point back from the trash (kept retention.trashDays, default 7)",
    load: async () => (await import("./commands/undelete.ts")).registerUndelete,
  },
  {
    name: "report",
    term: "report",
    description: "the status report by e-mail (settings.reports: recipients, SMTP, weekly/monthly schedule)",
    load: async () => (await import("./commands/report.ts")).registerReport,
  },
  {
    name: "systemd-unit",
    term: "systemd-unit [options]",
    description:
      "print a hardened systemd unit for this home (its profile's live folders writable, nothing else)",
    load: async () => (await import("./commands/systemd-unit.ts")).registerSystemdUnit,
  },
  {
    name: "propose",
    term: "propose [options] <file>",
    description:
      "open a GitHub pull request for a config change (validated and sealed like an apply; nothing is applied)",
    load: async () => (await import("./commands/propose.ts")).registerPropose,
  },
  {
    name: "github",
    term: "github",
    description: "pull-request review through GitHub",
    load: async () => (await import("./commands/github.ts")).registerGithub,
  },
  {
    name: "remote",
    term: "remote",
    description: "off-site copies of the repository: add, list, remove, push",
    load: async () => (await import("./commands/remote.ts")).registerRemote,
  },
  {
    name: "recover",
    term: "recover [options]",
    description:
      "disaster recovery: build a new home from a remote and put a restore point live (needs the activation key)",
    load: async () => (await import("./commands/recover.ts")).registerRecover,
  },
];

/** Global options that take a value, so the command name can be found without parsing everything. */
const VALUED_GLOBALS = new Set(["--home", "--key-file", "--actor"]);

/** The command an argv asks for (`help X` asks for X), or undefined for none or an unknown one. */
export function requestedCommand(argv: readonly string[]): CommandEntry | undefined {
  const positional: string[] = [];
  for (let i = 0; i < argv.length && positional.length < 2; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (VALUED_GLOBALS.has(arg)) i++;
    else if (!arg.startsWith("-")) positional.push(arg);
    if (positional.length === 1 && positional[0] !== "help") break;
  }
  const name = positional[0] === "help" ? positional[1] : positional[0];
  return COMMANDS.find((c) => c.name === name);
}
