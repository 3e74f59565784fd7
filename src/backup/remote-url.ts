import { ConfvaultError } from "../errors/confvault-error.ts";

export type UrlKind = "http" | "ssh" | "file";

/**
 * What kind of remote a URL names. Credentials inside the URL are refused: they would land in
 * remotes.json and in process listings. Tokens go in an environment variable or a token file.
 */
export function classifyRemoteUrl(url: string): UrlKind {
  const bad = (why: string, hint: string) =>
    new ConfvaultError("BAD_INPUT", `remote URL ${redactUrl(url)} ${why}`, hint, { url: redactUrl(url) });
  if (/^https?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad("is not a valid URL", "give a URL like https://git.example.com/team/configs.git");
    }
    if (parsed.password !== "" || parsed.username !== "") {
      throw bad(
        "holds credentials",
        "drop the user:token@ part and pass --token-env VAR (or --token-stdin) instead",
      );
    }
    return "http";
  }
  if (/^ssh:\/\//i.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(url)) return "ssh";
  if (/^file:\/\//i.test(url) || url.startsWith("/")) return "file";
  throw bad(
    "is not an http(s), ssh or file URL",
    "use https://host/path.git, ssh://user@host/path.git, user@host:path.git or an absolute path",
  );
}

/** The URL with any user:password part masked, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, "$1***@");
}
