import cliProgress from "cli-progress";
import { type Command, Option } from "commander";
import { remoteAdd } from "../../api/remote-add.ts";
import { remoteList } from "../../api/remote-list.ts";
import { remotePush } from "../../api/remote-push.ts";
import { remoteRemove } from "../../api/remote-remove.ts";
import type { PushOutcome } from "../../backup/push-remote.ts";
import type { PushProgress } from "../../backup/transport.ts";
import { readInputFile } from "../read-input.ts";
import type { CliRuntime } from "../runtime.ts";

function describeOutcome(o: PushOutcome): string {
  if (!o.ok) return `FAIL  ${o.remote}  ${o.error?.code}: ${o.error?.message}`;
  const what =
    o.updated.length === 0
      ? "up to date"
      : `${o.updated.length} ref(s) pushed${o.updated.includes("main") ? " (main moved)" : ""}`;
  return `ok    ${o.remote}  ${what}  via ${o.transport}`;
}

/** A progress bar on stderr, only on a terminal and never with --json. */
function progressBar(
  rt: CliRuntime,
  json: boolean,
): { update(p: PushProgress): void; stop(): void } | undefined {
  if (!rt.isTTY || json) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: "{remote} {phase} [{bar}] {value}/{total}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
    },
    cliProgress.Presets.legacy,
  );
  let started = false;
  let key = "";
  return {
    update(p) {
      const k = `${p.remote}/${p.phase}`;
      if (!started) {
        bar.start(p.total, p.done, { remote: p.remote, phase: p.phase });
        started = true;
      } else if (k !== key) bar.setTotal(p.total);
      key = k;
      bar.update(p.done, { remote: p.remote, phase: p.phase });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function registerRemote(program: Command, rt: CliRuntime): void {
  const remote = program
    .command("remote")
    .description("off-site copies of the repository: add, list, remove, push");

  remote
    .command("add")
    .description("register a remote (http(s), ssh, or a path); tokens never go into settings")
    .argument("<name>", "remote name, e.g. offsite")
    .argument(
      "<url>",
      "https://host/team/configs.git, ssh://git@host/configs.git, git@host:configs.git or /path/to/bare.git",
    )
    .option("--token-env <var>", "read the token from this environment variable at push time")
    .option("--token-stdin", "read the token from stdin and keep it in <home>/remotes/NAME.token (mode 0600)")
    .option("--username <name>", "user name sent with the token (HTTP Basic)", "x-access-token")
    .option("--via-git", "always push through the git CLI (same as --transport git)")
    .addOption(
      new Option("--transport <t>", "who pushes: auto (git CLI when on PATH), git, isomorphic-git")
        .choices(["auto", "git", "isomorphic-git"])
        .default("auto"),
    )
    .action(async (name: string, url: string, opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const token = opts.tokenStdin
        ? new TextDecoder().decode(await readInputFile("-", "token")).trim()
        : undefined;
      const added = await remoteAdd({
        ctx,
        name,
        url,
        transport: opts.viaGit ? "git" : opts.transport,
        tokenEnv: opts.tokenEnv,
        token,
        username: opts.username,
      });
      const tokenNote = added.tokenEnv
        ? `token from $${added.tokenEnv}`
        : token
          ? "token stored in remotes/" + `${name}.token`
          : "no token";
      rt.print(
        cmd,
        added,
        `added remote ${added.name} (${tokenNote}); push with: confvault remote push ${added.name}`,
      );
    });

  remote
    .command("list")
    .description("remotes with their last push: time, result, error")
    .action(async (_opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const remotes = await remoteList({ ctx });
      const human =
        remotes.length === 0
          ? "no remotes: add one with `confvault remote add NAME URL --token-env VAR`"
          : remotes
              .map((r) => {
                const last = r.lastPush
                  ? `${r.lastPush.time} ${r.lastPush.ok ? "ok" : `FAILED ${r.lastPush.error?.code}: ${r.lastPush.error?.message}`}`
                  : "never pushed";
                return `${r.name}  ${r.url}  (${r.transport}, token: ${r.token})  last push: ${last}`;
              })
              .join("\n");
      rt.print(cmd, { remotes }, human);
    });

  remote
    .command("remove")
    .description("forget a remote (the remote repository itself is untouched)")
    .argument("<name>")
    .action(async (name: string, _opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      await remoteRemove({ ctx, name });
      rt.print(cmd, { removed: name }, `removed remote ${name}`);
    });

  remote
    .command("push")
    .description("push main and every restore point to every remote (or one); never forces")
    .argument("[name]", "only this remote")
    .action(async (name: string | undefined, _opts, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const json = Boolean(rt.globals(cmd).json);
      const bar = progressBar(rt, json);
      try {
        const results = await remotePush({
          ctx,
          env: rt.env,
          name,
          onProgress: bar ? (p) => bar.update(p) : undefined,
          onResult: (o) => {
            bar?.stop();
            if (!json) rt.out(describeOutcome(o));
          },
        });
        if (json) rt.out(JSON.stringify({ results }, null, 2));
      } catch (err) {
        bar?.stop();
        throw err;
      }
    });
}
