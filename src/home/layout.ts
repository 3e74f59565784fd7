import path from "node:path";

/** Where things live inside a home folder. */
export function homeLayout(dir: string) {
  return {
    dir,
    settings: path.join(dir, "settings.json"),
    gitdir: path.join(dir, "repo.git"),
    activationKey: path.join(dir, "activation.key"),
    tokens: path.join(dir, "tokens.json"),
    recipients: path.join(dir, "recipients.txt"),
    state: path.join(dir, "state"),
    hooks: path.join(dir, "hooks"),
    identityCache: path.join(dir, "state", "identity.json"),
    /** Off-site remotes (names, URLs, transport; never a token). */
    remotes: path.join(dir, "remotes.json"),
    /** Per-remote push tokens, `<name>.token`, mode 0600. */
    remoteTokens: path.join(dir, "remotes"),
    /** Last push per remote: time, ok, error. */
    remoteState: path.join(dir, "state", "remotes.json"),
  };
}

export type HomeLayout = ReturnType<typeof homeLayout>;

/** Resolves an appliance path (absolute on the appliance) under the live root. */
export function livePath(liveRoot: string, appliancePath: string): string {
  const rel = appliancePath.replace(/^\/+/, "");
  const resolved = path.resolve(liveRoot, rel);
  const root = path.resolve(liveRoot);
  if (resolved !== root && !resolved.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
    throw new Error(`live path ${appliancePath} escapes the live root`);
  }
  return resolved;
}
