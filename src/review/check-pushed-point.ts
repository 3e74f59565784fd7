import { decodeManifest, type Manifest, sha256Hex } from "../core/manifest.ts";
import { CONFIG_FILE, MANIFEST_FILE, SEALED_FILE } from "../core/prepare-snapshot.ts";
import { openBundle } from "../core/read-snapshot.ts";
import { ConfvaultError, isConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import type { RepoEngine } from "../repo/engine.ts";
import { certificateFacts } from "../seal/certificate-facts.ts";
import { checkForLeaks } from "../seal/leak-guard.ts";
import { restoreSecrets } from "../seal/lift-secrets.ts";
import { nodeX509 } from "../seal/node-x509.ts";
import type { SecretBundle } from "../seal/secret-bundle.ts";
import { scanXml } from "../xml/scan-xml.ts";

export interface PushedPoint {
  manifest: Manifest;
  /** config.xml as committed (markers in place). */
  committedConfig: Uint8Array;
  /** config.xml as the appliance gets it (secrets put back). */
  config: Uint8Array;
  bundle: SecretBundle;
}

export interface PushedPointCheck {
  commit: string;
  ok: boolean;
  /** The commit holds no restore point (no config.xml and no manifest.json): nothing to apply. */
  empty: boolean;
  /** What passed, in order. */
  checks: string[];
  problem?: { code: string; message: string };
  point?: PushedPoint;
}

/**
 * Verifies a commit fetched from GitHub as a restore point of this home, before anything of it
 * is applied: manifest format, cluster and profile; sha256 of every file the manifest lists;
 * the seal opens with this home's key; the restored config.xml matches the manifest and is
 * well-formed; the leak guard over every file of the commit. Never throws for a bad commit.
 */
export async function checkPushedPoint(
  ctx: HomeContext,
  engine: RepoEngine,
  commit: string,
): Promise<PushedPointCheck> {
  const checks: string[] = [];
  try {
    const names = await engine.listFiles(commit);
    if (!names.includes(CONFIG_FILE) && !names.includes(MANIFEST_FILE)) {
      return { commit, ok: true, empty: true, checks: ["no config.xml or manifest.json: nothing to apply"] };
    }
    for (const name of [CONFIG_FILE, SEALED_FILE, MANIFEST_FILE]) {
      if (!names.includes(name)) {
        throw new ConfvaultError(
          "VERIFY_FAILED",
          `${name} is missing`,
          "propose changes with `confvault propose`, which commits all restore point files",
        );
      }
    }
    const files: Record<string, Uint8Array> = {};
    for (const name of names) files[name] = await engine.readFile(commit, name);
    const manifest = decodeManifest(files[MANIFEST_FILE]!, commit.slice(0, 12));
    if (manifest.cluster !== ctx.settings.cluster) {
      throw new ConfvaultError(
        "FOREIGN_CLUSTER",
        `manifest.json is for cluster ${manifest.cluster}, this node is in ${ctx.settings.cluster}`,
        "propose changes from a home of this cluster",
      );
    }
    if (manifest.profile !== ctx.profile.name) {
      throw new ConfvaultError(
        "VERIFY_FAILED",
        `manifest.json is for profile ${manifest.profile}, this node runs ${ctx.profile.name}`,
        "propose changes from a home with the same profile",
      );
    }
    for (const name of [CONFIG_FILE, SEALED_FILE, ...Object.keys(manifest.files)]) {
      const expected = manifest.files[name]?.sha256;
      const bytes = files[name];
      const actual = bytes ? await sha256Hex(bytes) : "(missing)";
      if (expected !== actual) {
        throw new ConfvaultError(
          "MANIFEST_MISMATCH",
          `${name} does not match manifest.json (edited outside confvault?)`,
          "propose config changes with `confvault propose`, which seals secrets and writes the manifest",
          { file: name },
        );
      }
    }
    checks.push("manifest hashes");
    const bundle = await openBundle(ctx, files[SEALED_FILE]!);
    checks.push("seal opened");
    const config = restoreSecrets(files[CONFIG_FILE]!, bundle.secrets);
    if ((await sha256Hex(config)) !== manifest.config.sha256) {
      throw new ConfvaultError(
        "MANIFEST_MISMATCH",
        "the restored config.xml does not match the sha256 in manifest.json",
        "propose the change again with `confvault propose`",
        { file: CONFIG_FILE },
      );
    }
    checks.push("restored config.xml matches manifest");
    const scan = scanXml(config);
    if (ctx.profile.rootElement && scan.rootName !== ctx.profile.rootElement) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `config.xml has root element <${scan.rootName}>, the ${ctx.profile.name} profile expects <${ctx.profile.rootElement}>`,
        "propose a config of this appliance",
      );
    }
    checks.push("config.xml well-formed");
    const committedScan = scanXml(files[CONFIG_FILE]!, { patterns: ctx.profile.secretPaths });
    const secretValues = Object.values(bundle.secrets).map((b64) =>
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
    );
    checkForLeaks(files, {
      secretValues,
      minSecretLength: 12,
      allow: ctx.settings.leakGuard?.allow,
      secretSpans: {
        [CONFIG_FILE]: committedScan.matches.filter((m) => !m.hasChildren && m.contentEnd > m.contentStart),
      },
    });
    checks.push("leak guard: no plaintext key or secret in any file");
    if (bundle.cert !== undefined && bundle.key !== undefined) {
      certificateFacts(bundle.cert, bundle.key, nodeX509, ctx.now());
      checks.push("certificate matches key");
    }
    return {
      commit,
      ok: true,
      empty: false,
      checks,
      point: { manifest, committedConfig: files[CONFIG_FILE]!, config, bundle },
    };
  } catch (err) {
    const code = isConfvaultError(err) ? err.code : "VERIFY_FAILED";
    const message = err instanceof Error ? err.message : String(err);
    return { commit, ok: false, empty: false, checks, problem: { code, message } };
  }
}
