import { promises as fsp } from "node:fs";
import path from "node:path";
import { fetchHistory, fetchRestorePoint } from "../backup/fetch-from-remote.ts";
import { claimFreshHomeDir } from "../backup/fresh-home-dir.ts";
import { gitOnPath } from "../backup/git-on-path.ts";
import { openRecoveredPoint } from "../backup/open-recovered-point.ts";
import { recoveryContext } from "../backup/recovery-context.ts";
import { writeRemotes } from "../backup/remote-store.ts";
import { gitAuthEnv } from "../backup/remote-token.ts";
import { classifyRemoteUrl, redactUrl } from "../backup/remote-url.ts";
import { recoverFromS3 } from "../backup/s3-recover.ts";
import { isS3Url, parseS3Url, type S3RemoteSettings, s3RemoteSchema } from "../backup/s3-settings.ts";
import { decodeManifest, type Manifest } from "../core/manifest.ts";
import { MANIFEST_FILE } from "../core/prepare-snapshot.ts";
import { spliceLocalSections } from "../core/splice-local-sections.ts";
import { writeLive } from "../core/write-live.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import { loadActivationKey } from "../home/activation-key.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import { type Logger, silentLogger } from "../home/context.ts";
import { sealKeysFrom } from "../home/seal-keys.ts";
import { writeTokenRecords } from "../home/token-file.ts";
import { createGitCli } from "../repo/git-cli.ts";
import { type DerivedIdentity, deriveIdentity } from "../seal/derive-identity.ts";
import { createToken } from "../server/tokens.ts";
import { defaultSettings } from "../settings/load-settings.ts";
import type { Settings } from "../settings/schema.ts";

export interface RecoverOptions {
  /** The new home; must not exist yet, or be empty. */
  dir: string;
  /** The remote: http(s), ssh or file URL, or s3://bucket/prefix. */
  from: string;
  /** s3:// remotes: endpoint, region, path style (credentials: AWS_* in `env`). */
  s3?: Partial<S3RemoteSettings>;
  /** Restore point to put live (default: the remote's main). */
  ref?: string;
  /** Keep the node-local sections of a config.xml already on this machine. */
  keepLocal?: boolean;
  /** Accept files that no longer match their manifest (never a bad seal or a wrong key). */
  force?: boolean;
  allowForeignCluster?: boolean;
  /** Settings of the new home; default: what the restore point's manifest says. */
  profile?: Settings["profile"];
  liveRoot?: string;
  node?: string;
  cluster?: string;
  keyFile?: string;
  /** Environment: CONFVAULT_ACTIVATION_KEY and the token variable. */
  env?: Record<string, string | undefined>;
  /** Variable holding the remote's token; kept as origin's token source. */
  tokenEnv?: string;
  username?: string;
  /** Stop after the live write: leave the repository shallow (history not fetched). */
  shallow?: boolean;
  logger?: Logger;
  now?: () => Date;
}

export interface RecoverResult {
  home: string;
  from: string;
  ref: string;
  commit: string;
  manifest: Pick<Manifest, "profile" | "cluster" | "node" | "createdAt" | "sequence">;
  settings: Settings;
  liveWritten: string[];
  tokens: { name: string; role: string; token: string }[];
  /** True when the history was not (or could not be) fetched. */
  shallow: boolean;
  warnings: string[];
  /** Milliseconds from the start: fetched, keys derived, verified, live files written, history complete. */
  timings: { fetch: number; keys: number; verify: number; live: number; history?: number };
}

/**
 * Disaster recovery onto a fresh machine: fetch the restore point from a remote (depth 1 first),
 * check its seal and manifest, write the live files atomically, leave a working home (settings,
 * API tokens, the remote as `origin`) and then fetch the full history. Any failure before the
 * live files are written leaves nothing behind: the half-made home is removed.
 */
export async function recover(options: RecoverOptions): Promise<RecoverResult> {
  const { from, env = {}, force = false, logger = silentLogger, now = () => new Date() } = options;
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  try {
    const fromS3 = isS3Url(from);
    if (fromS3) parseS3Url(from);
    else classifyRemoteUrl(from);
    const key = await loadActivationKey({
      envValue: env.CONFVAULT_ACTIVATION_KEY,
      keyFile: options.keyFile,
      homeKeyFile: path.join(path.resolve(options.dir), "activation.key"),
    });
    const token = options.tokenEnv ? env[options.tokenEnv]?.trim() : undefined;
    if (options.tokenEnv && !token) {
      throw new ConfvaultError(
        "BAD_USAGE",
        `$${options.tokenEnv} is not set`,
        `export ${options.tokenEnv}=… (the remote's token), or drop --token-env`,
      );
    }
    if (!(await gitOnPath()))
      throw new ConfvaultError(
        "GIT_FAILED",
        "recover needs the git CLI and git is not on PATH",
        "install git 2.31 or newer",
      );
    const home = await claimFreshHomeDir(options.dir, { from: redactUrl(from) });
    const warnings: string[] = [];
    if (home.resumed) {
      warnings.push(
        `${home.dir} held the half-made home of an interrupted recover: cleaned it and started again`,
      );
      logger.warn({ home: home.dir }, "recover: resuming over the half-made home of an interrupted recover");
    }
    const derived = new Map<string, Promise<DerivedIdentity>>();
    const identityFor = (cluster: string) => {
      let p = derived.get(cluster);
      if (!p) {
        p = deriveIdentity({ activationKey: key.value, cluster });
        p.catch(() => {});
        derived.set(cluster, p);
      }
      return p;
    };
    // The KDF is the slowest local step: start it during the download when the cluster is known.
    if (options.cluster) identityFor(options.cluster);
    let liveStarted = false;
    try {
      const probe = recoveryContext({
        dir: home.dir,
        settings: provisional(options),
        identity: () => identityFor(""),
        logger,
        now,
      });
      await probe.engine.init();
      const git = createGitCli({ gitdir: probe.layout.gitdir });
      const auth = gitAuthEnv(options.username ?? "x-access-token", token);
      // An S3 remote is read whole (bundles build on each other): the history is complete at once.
      let target: { ref: string; main: string | null };
      if (fromS3) {
        const got = await recoverFromS3({
          url: from,
          settings: options.s3,
          env,
          git,
          scratch: path.join(probe.layout.state, "s3-download"),
          ref: options.ref,
          signerFor: async (cluster) => (await sealKeysFrom(await identityFor(cluster), [])).signer.publicKey,
        });
        warnings.push(...got.warnings);
        target = got;
      } else target = await fetchRestorePoint(git, from, auth, options.ref);
      const fetchMs = since();
      const commit = await probe.engine.resolveCommit(target.ref);
      const manifest = decodeManifest(
        await probe.engine.readFile(commit, MANIFEST_FILE),
        options.ref ?? "main",
      );
      const cluster = options.cluster ?? manifest.cluster;
      if (cluster !== manifest.cluster) {
        if (!options.allowForeignCluster) {
          throw new ConfvaultError(
            "FOREIGN_CLUSTER",
            `restore point ${options.ref ?? "main"} was made by cluster '${manifest.cluster}', not '${cluster}'`,
            `recover it as its own cluster (drop --cluster or pass --cluster ${manifest.cluster}), or pass --allow-foreign-cluster to take it anyway`,
            { restorePointCluster: manifest.cluster, cluster },
          );
        }
        warnings.push(
          `restore point made by cluster '${manifest.cluster}' recovered into cluster '${cluster}' (--allow-foreign-cluster)`,
        );
      }
      const settings = defaultSettings({
        profile: options.profile ?? profileOf(manifest),
        role: "standalone",
        node: options.node ?? manifest.node,
        cluster,
        liveRoot: path.resolve(options.liveRoot ?? "/"),
        keyFile: options.keyFile ? path.resolve(options.keyFile) : undefined,
      });
      // The bundle was sealed to the identity of the cluster that made it.
      const ctx = recoveryContext({
        dir: home.dir,
        settings,
        identity: () => identityFor(manifest.cluster),
        logger,
        now,
      });
      await ctx.keys();
      const keysMs = since();
      const { snap, mismatches } = await openRecoveredPoint(ctx, commit, force);
      if (mismatches.length > 0)
        warnings.push(`--force: ${mismatches.join(", ")} did not match the manifest; recovered anyway`);
      const verifyMs = since();
      let config = snap.config;
      if (options.keepLocal) {
        const current = await fsp.readFile(ctx.live("config")!).catch(() => undefined);
        if (current) config = spliceLocalSections(config, new Uint8Array(current), ctx.profile.localSections);
        else
          warnings.push(
            "--keep-local: no config.xml on this machine yet; the restore point's node-local sections were used",
          );
      }
      // Everything the home needs, before the live write; settings.json (marks a complete home) after it.
      await fsp.mkdir(ctx.layout.state, { recursive: true, mode: 0o700 });
      await fsp.mkdir(ctx.layout.hooks, { recursive: true });
      await writeRemotes(ctx.layout.remotes, [
        {
          name: "origin",
          url: from,
          transport: "auto",
          ...(fromS3 ? { s3: s3RemoteSchema.parse(options.s3 ?? {}) } : {}),
          ...(options.tokenEnv ? { tokenEnv: options.tokenEnv } : {}),
          username: options.username ?? "x-access-token",
          addedAt: now().toISOString(),
        },
      ]);
      // Escrow recipients travel in the manifest: keep sealing to them after the recovery.
      const own = (await ctx.keys()).recipient;
      const others = snap.manifest.secrets.recipients.filter((r) => r.startsWith("age1") && r !== own);
      if (others.length > 0)
        await writeFileAtomic(ctx.layout.recipients, new TextEncoder().encode(`${others.join("\n")}\n`));
      const tokens: RecoverResult["tokens"] = [];
      const records = [];
      for (const [name, role] of [
        ["admin", "operator"],
        ["viewer", "viewer"],
      ] as const) {
        const made = await createToken(name, role, now());
        tokens.push({ name, role, token: made.token });
        records.push(made.record);
      }
      await writeTokenRecords(ctx.layout.tokens, records);
      liveStarted = true;
      const liveWritten = await writeLive(ctx, { config, cert: snap.bundle.cert, key: snap.bundle.key });
      const liveMs = since();
      await writeFileAtomic(
        ctx.layout.settings,
        new TextEncoder().encode(`${JSON.stringify(settings, null, 2)}\n`),
        { mode: 0o644 },
      );
      if (target.main !== null && commit !== target.main && target.ref !== "refs/heads/main") {
        warnings.push(
          `the live files hold ${options.ref}, not the remote's latest; record it with \`confvault restore ${options.ref} -m "…"\` before the next apply`,
        );
      }
      const result: RecoverResult = {
        home: home.dir,
        from: redactUrl(from),
        ref: options.ref ?? "main",
        commit,
        manifest: {
          profile: manifest.profile,
          cluster: manifest.cluster,
          node: manifest.node,
          createdAt: manifest.createdAt,
          sequence: manifest.sequence,
        },
        settings,
        liveWritten,
        tokens,
        shallow: true,
        warnings,
        timings: { fetch: fetchMs, keys: keysMs, verify: verifyMs, live: liveMs },
      };
      if (fromS3) {
        result.shallow = false;
        result.timings.history = since();
      } else if (!options.shallow) {
        try {
          await fetchHistory(ctx.engine, from, auth);
          result.shallow = false;
          result.timings.history = since();
        } catch (err) {
          warnings.push(
            `the live files are restored, but the full history could not be fetched (${(err as Error).message}); run recover's fetch again with \`git --git-dir=${ctx.layout.gitdir} fetch --unshallow\``,
          );
        }
      }
      // Branch main is the applied history, whatever the remote's HEAD says: a remote made with
      // a plain `git init --bare` has HEAD on an unborn master, which `clone --bare` copies.
      await createGitCli({ gitdir: ctx.layout.gitdir }).run(["symbolic-ref", "HEAD", "refs/heads/main"]);
      await home.complete();
      return result;
    } catch (err) {
      await home.discard();
      if (err instanceof ConfvaultError) (err.data as Record<string, unknown>).nothingWritten = !liveStarted;
      throw err;
    }
  } catch (err) {
    throw inOperation("recover", err);
  }
}

/** Settings good enough to open the repository before the manifest is known. */
function provisional(options: RecoverOptions): Settings {
  return defaultSettings({
    profile: options.profile ?? "generic",
    role: "standalone",
    node: "recovering",
    cluster: "recovering",
    liveRoot: path.resolve(options.liveRoot ?? "/"),
  });
}

function profileOf(manifest: Manifest): Settings["profile"] {
  const known = ["safesquid", "opnsense", "pfsense", "generic"] as const;
  const found = known.find((p) => p === manifest.profile);
  if (!found) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `the restore point's profile '${manifest.profile}' is unknown to this confvault`,
      "pass --profile safesquid|opnsense|pfsense|generic",
    );
  }
  return found;
}
