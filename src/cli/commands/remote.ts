import cliProgress from "cli-progress";
import { type Command, Option } from "commander";
import { remoteAdd } from "../../api/remote-add.ts";
import { remoteList } from "../../api/remote-list.ts";
import { remotePush } from "../../api/remote-push.ts";
import { remoteRemove } from "../../api/remote-remove.ts";
import type { PushOutcome } from "../../backup/push-remote.ts";
import { parseS3Credentials } from "../../backup/s3-adapter.ts";
import { isS3Url, type S3RemoteSettings } from "../../backup/s3-settings.ts";
import type { PushProgress } from "../../backup/transport.ts";
import { ConfvaultError } from "../../errors/confvault-error.ts";
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
    .description(
      "register a remote (http(s), ssh, a path, or an S3-compatible bucket); tokens never go into settings",
    )
    .argument("<name>", "remote name, e.g. offsite")
    .argument(
      "<url>",
      "https://host/team/configs.git, ssh://git@host/configs.git, git@host:configs.git, /path/to/bare.git or s3://bucket/prefix",
    )
    .option(
      "--endpoint <url>",
      "s3: the service endpoint (default: AWS), e.g. https://s3.eu-central-003.backblazeb2.com",
    )
    .option("--region <region>", "s3: the region (default us-east-1)")
    .option("--path-style", "s3: path-style addressing (MinIO and most self-hosted stores)")
    .option(
      "--credentials-stdin",
      "s3: read 'ACCESS_KEY_ID SECRET' from stdin into <home>/remotes/NAME.s3-credentials (0600); default: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY at push time",
    )
    .addOption(
      new Option(
        "--lock-mode <mode>",
        "s3: object lock on every object written (bucket needs object lock)",
      ).choices(["GOVERNANCE", "COMPLIANCE"]),
    )
    .option("--lock-days <n>", "s3: object lock retention in days (with --lock-mode)")
    .option(
      "--full-bundle-after <n>",
      "s3: once the index lists n bundles, the next push writes one complete bundle instead (default 50; 0: never)",
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
      if (
        isS3Url(url) ||
        opts.endpoint ||
        opts.region ||
        opts.pathStyle ||
        opts.credentialsStdin ||
        opts.lockMode ||
        opts.fullBundleAfter !== undefined
      ) {
        const s3: Partial<S3RemoteSettings> = {
          ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
          ...(opts.region ? { region: opts.region } : {}),
          ...(opts.pathStyle ? { pathStyle: true } : {}),
        };
        if (opts.fullBundleAfter !== undefined) {
          if (!/^\d+$/.test(String(opts.fullBundleAfter)))
            throw new ConfvaultError(
              "BAD_USAGE",
              "--full-bundle-after needs a whole number",
              "e.g. --full-bundle-after 50",
            );
          s3.fullBundleAfter = Number(opts.fullBundleAfter);
        }
        if (opts.lockMode || opts.lockDays) {
          if (!opts.lockMode || !/^[1-9]\d*$/.test(String(opts.lockDays ?? "")))
            throw new ConfvaultError(
              "BAD_USAGE",
              "object lock needs --lock-mode and --lock-days N",
              "e.g. --lock-mode GOVERNANCE --lock-days 30",
            );
          s3.objectLock = { mode: opts.lockMode, days: Number(opts.lockDays) };
        }
        const credentials = opts.credentialsStdin
          ? parseS3Credentials(new TextDecoder().decode(await readInputFile("-", "credentials")))
          : undefined;
        const added = await remoteAdd({
          ctx,
          name,
          url,
          s3,
          ...(credentials ? { s3Credentials: credentials } : {}),
          ...(opts.transport !== "auto" || opts.viaGit
            ? { transport: opts.viaGit ? "git" : opts.transport }
            : {}),
          ...(opts.tokenEnv ? { tokenEnv: opts.tokenEnv } : {}),
          ...(opts.tokenStdin ? { token: "" } : {}),
        });
        const lock = added.s3?.objectLock
          ? `, object lock ${added.s3.objectLock.mode} ${added.s3.objectLock.days} d`
          : "";
        rt.print(
          cmd,
          added,
          `added S3 remote ${added.name} (${added.s3?.endpoint ?? "AWS"}, ${added.s3?.region}${added.s3?.pathStyle ? ", path style" : ""}${lock}; credentials ${credentials ? `in remotes/${name}.s3-credentials` : "from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"}); push with: confvault remote push ${added.name}`,
        );
        return;
      }
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
    .description(
      "push main and every restore point to every remote (or one); never forces (S3: one incremental bundle + a signed index per push)",
    )
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
