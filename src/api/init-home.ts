import fs, { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import { generateActivationKey } from "../home/activation-key.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import { homeLayout } from "../home/layout.ts";
import { writeTokenRecords } from "../home/token-file.ts";
import { createRepoEngine } from "../repo/create-engine.ts";
import { createGitCli } from "../repo/git-cli.ts";
import { homeTlsFiles, writeHomeTlsIdentity } from "../server/tls-files.ts";
import { createToken } from "../server/tokens.ts";
import { defaultSettings } from "../settings/load-settings.ts";
import type { Settings } from "../settings/schema.ts";

export interface InitOptions {
  dir: string;
  profile?: Settings["profile"];
  role?: Settings["role"];
  node?: string;
  cluster?: string;
  liveRoot?: string;
  master?: string;
  keyFile?: string;
  localSections?: string[];
  /** True when CONFVAULT_ACTIVATION_KEY is set: no key is generated. */
  keyFromEnv?: boolean;
  /**
   * Masters: makes the self-signed TLS pair stored in `<home>/tls/` (names for its
   * subjectAltName passed in); undefined when it cannot (no openssl). Not called when absent.
   */
  makeTlsPair?: (altNames: string[]) => { cert: string; key: string } | undefined;
  now?: Date;
}

export interface InitResult {
  home: string;
  settings: Settings;
  /** Set when init generated the activation key (stored in the home, mode 0600). */
  generatedKeyFile?: string;
  tokens: { name: string; role: string; token: string }[];
  /** The TLS pair init made (masters), by its certificate's SHA-256 fingerprint. */
  tls?: { cert: string; fingerprint256: string };
}

/** Creates a home: settings, an empty repository, API tokens, and an activation key if none was given. */
export async function initHome(options: InitOptions): Promise<InitResult> {
  try {
    const dir = path.resolve(options.dir);
    const layout = homeLayout(dir);
    if (await fsp.stat(layout.settings).catch(() => undefined)) {
      throw new ConfvaultError(
        "HOME_EXISTS",
        `a confvault home already exists at ${dir}`,
        "use it as it is, or pick another --home",
      );
    }
    const role = options.role ?? "standalone";
    if (role === "slave" && !options.master) {
      throw new ConfvaultError(
        "BAD_USAGE",
        "a slave needs its master's URL",
        "pass --master http://master:8740",
      );
    }
    const settings = defaultSettings({
      profile: options.profile ?? "safesquid",
      role,
      node:
        options.node ??
        (os
          .hostname()
          .replace(/[^A-Za-z0-9._-]/g, "-")
          .replace(/^[^A-Za-z0-9]+/, "") ||
          "node1"),
      cluster: options.cluster ?? "default",
      liveRoot: path.resolve(options.liveRoot ?? "/"),
      master: options.master,
      keyFile: options.keyFile ? path.resolve(options.keyFile) : undefined,
      localSections: { add: options.localSections ?? [], remove: [] },
    });
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(layout.state, { recursive: true, mode: 0o700 });
    await fsp.mkdir(layout.hooks, { recursive: true });
    await createRepoEngine({
      gitdir: layout.gitdir,
      fs,
      git: createGitCli({ gitdir: layout.gitdir }),
    }).init();
    let generatedKeyFile: string | undefined;
    if (!options.keyFile && !options.keyFromEnv) {
      await writeFileAtomic(layout.activationKey, new TextEncoder().encode(`${generateActivationKey()}\n`), {
        mode: 0o600,
      });
      generatedKeyFile = layout.activationKey;
    }
    let tls: InitResult["tls"];
    if (role === "master" && options.makeTlsPair) {
      const host = os
        .hostname()
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, "-");
      const pair = options.makeTlsPair([
        ...new Set(["127.0.0.1", "::1", "localhost", ...(host ? [host] : [])]),
      ]);
      if (pair) {
        const made = await writeHomeTlsIdentity(layout, pair);
        tls = { cert: homeTlsFiles(layout).cert, fingerprint256: made.fingerprint256 };
      }
    }
    const tokens: InitResult["tokens"] = [];
    const records = [];
    for (const [name, r] of [
      ["admin", "operator"],
      ["viewer", "viewer"],
    ] as const) {
      const made = await createToken(name, r, options.now);
      tokens.push({ name, role: r, token: made.token });
      records.push(made.record);
    }
    await writeTokenRecords(layout.tokens, records);
    // settings.json last: its presence marks a complete home.
    await writeFileAtomic(
      layout.settings,
      new TextEncoder().encode(`${JSON.stringify(settings, null, 2)}\n`),
      { mode: 0o644 },
    );
    return { home: dir, settings, generatedKeyFile, tokens, ...(tls ? { tls } : {}) };
  } catch (err) {
    throw inOperation("init", err);
  }
}
