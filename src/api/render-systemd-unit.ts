import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packageFile } from "../core/package-files.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";

export interface RenderSystemdUnitOptions {
  ctx: HomeContext;
  /** The service user (default "confvault"). */
  user?: string;
  /** Where the activation key is kept for LoadCredential= (default /etc/confvault/activation.key). */
  keyFile?: string;
}

const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * templates/confvault.service filled in for one home: its folder, the user, the key file, this
 * installation's entry point and, as `-`-prefixed ReadWritePaths, the folder of every live file
 * of the home's profile (so ProtectSystem=strict leaves exactly those writable).
 */
export async function renderSystemdUnit({
  ctx,
  user = "confvault",
  keyFile = "/etc/confvault/activation.key",
}: RenderSystemdUnitOptions): Promise<string> {
  if (!NAME.test(user)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `"${user}" is not a valid user name for systemd`,
      "use e.g. --user confvault",
    );
  }
  if (!path.isAbsolute(keyFile) || /[\s%]/.test(keyFile)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `the key file must be an absolute path without spaces or %, got "${keyFile}"`,
      "for example --key-file /etc/confvault/activation.key",
    );
  }
  const template = await readFile(packageFile("templates/confvault.service"), "utf8");
  const home = ctx.layout.dir;
  const liveDirs = [
    ...new Set(
      (["config", "cert", "key"] as const).flatMap((k) => {
        const p = ctx.live(k);
        return p ? [path.dirname(p)] : [];
      }),
    ),
  ];
  const bin = fileURLToPath(packageFile("bin/confvault.js"));
  const quote = (p: string) => (/[\s"\\]/.test(p) ? JSON.stringify(p) : p);
  // The template's header (install notes) is for readers of the file, not for the unit.
  const lines = template.slice(template.indexOf("[Unit]")).split("\n");
  const out = lines.map((line) => {
    if (line.startsWith("User=")) return `User=${user}`;
    if (line.startsWith("Group=")) return `Group=${user}`;
    if (line.startsWith("Environment=CONFVAULT_HOME=")) return `Environment=CONFVAULT_HOME=${quote(home)}`;
    if (line.startsWith("WorkingDirectory=")) return `WorkingDirectory=${quote(home)}`;
    if (line.startsWith("LoadCredential=")) return `LoadCredential=activation.key:${keyFile}`;
    if (line.startsWith("ExecStart="))
      return `ExecStart=${process.execPath} ${quote(bin)} --key-file %d/activation.key serve`;
    if (line.startsWith("ReadWritePaths="))
      return `ReadWritePaths=${[quote(home), ...liveDirs.map((d) => `-${quote(d)}`)].join(" ")}`;
    return line;
  });
  return `# made by \`confvault systemd-unit\` for ${home} (profile ${ctx.profile.name})\n${out.join("\n")}`;
}
