import { ConfvaultError } from "../errors/confvault-error.ts";
import type { GitCli } from "../repo/git-cli.ts";
import { redactUrl } from "./remote-url.ts";
import type { PushTransport, RemoteRefs } from "./transport.ts";

/** The trash namespace (src/repo/create-engine.ts TRASH_PREFIX), pushed as-is when asked. */
const TRASH_REFSPEC = "refs/confvault/trash/*:refs/confvault/trash/*";

const PROGRESS = /(Counting|Compressing|Writing) objects:\s+\d+% \((\d+)\/(\d+)\)/g;

/**
 * Pushes through the git CLI: ssh, file and http(s) remotes, delta-compressed packs (a few
 * hundred KiB where isomorphic-git sends tens of MiB). Auth comes in through `env`
 * (see gitAuthEnv), never on the command line.
 *
 * `pushTrash` (settings.retention.pushTrash, passed down by the caller) also sends the trash,
 * `refs/confvault/trash/*`, with the same care as tags: no `+`, so a trash ref the remote holds
 * on another object is refused (REMOTE_DIVERGED), and nothing is deleted there.
 */
export function gitTransport({
  git,
  url,
  env,
  pushTrash,
}: {
  git: GitCli;
  url: string;
  env: Record<string, string>;
  pushTrash?: boolean;
}): PushTransport {
  const failed = (what: string, stderr: string, exitCode: number) =>
    new ConfvaultError(
      "REMOTE_FAILED",
      `${what} ${redactUrl(url)} failed: ${stderr.trim().split("\n").slice(-3).join(" ") || `git exited with ${exitCode}`}`,
      "check the URL, the token (--token-env / remotes/NAME.token) and that the server accepts pushes",
      { url: redactUrl(url), exitCode, stderr: stderr.trim() },
    );
  return {
    name: "git",
    async listRefs(): Promise<RemoteRefs> {
      const r = await git.run(["ls-remote", "--refs", url, "refs/heads/main", "refs/tags/rp/*"], {
        env,
        allowFailure: true,
      });
      if (r.exitCode !== 0) throw failed("listing", r.stderr, r.exitCode);
      return parseLsRemote(r.stdout);
    },
    async isAncestor(ancestor, descendant) {
      const known = await git.run(["cat-file", "-e", `${ancestor}^{commit}`], { allowFailure: true });
      if (known.exitCode !== 0) return false;
      const r = await git.run(["merge-base", "--is-ancestor", ancestor, descendant], { allowFailure: true });
      return r.exitCode === 0;
    },
    async push(plan, onProgress) {
      const specs: string[] = [];
      if (plan.main) specs.push(`${plan.main}:refs/heads/main`);
      // A long explicit list would hit ARG_MAX; the glob pushes the same set (existing equal tags are no-ops).
      if (plan.tags.length > 200) specs.push("refs/tags/rp/*:refs/tags/rp/*");
      else for (const t of plan.tags) specs.push(`refs/tags/${t}:refs/tags/${t}`);
      // Trash refs already there are no-ops; a glob that matches nothing pushes nothing.
      if (pushTrash) specs.push(TRASH_REFSPEC);
      if (specs.length === 0) return;
      const r = await git.run(["push", "--porcelain", "--progress", "--no-verify", url, ...specs], {
        env,
        allowFailure: true,
        onStderr: onProgress
          ? (chunk) => {
              for (const m of chunk.matchAll(PROGRESS))
                onProgress({ phase: m[1]!.toLowerCase(), done: Number(m[2]), total: Number(m[3]) });
            }
          : undefined,
      });
      const rejected = r.stdout.split("\n").filter((line) => line.startsWith("!"));
      if (rejected.length > 0) {
        const diverged = rejected.some((l) =>
          /non-fast-forward|fetch first|already exists|stale info|needs force/.test(l),
        );
        throw new ConfvaultError(
          diverged ? "REMOTE_DIVERGED" : "REMOTE_FAILED",
          `${redactUrl(url)} refused ${rejected.length} ref(s): ${rejected
            .slice(0, 3)
            .map((l) => l.split("\t").slice(1).join(" "))
            .join("; ")}`,
          diverged
            ? "the remote has history this home does not; inspect it by hand, confvault never force-pushes"
            : "read the server's message above",
          { url: redactUrl(url), rejected },
        );
      }
      if (r.exitCode !== 0) throw failed("pushing to", r.stderr, r.exitCode);
    },
  };
}

export function parseLsRemote(text: string): RemoteRefs {
  const refs: RemoteRefs = { main: null, tags: new Map() };
  for (const line of text.split("\n")) {
    const [oid, ref] = line.split("\t");
    if (!oid || !ref) continue;
    if (ref === "refs/heads/main") refs.main = oid;
    else if (ref.startsWith("refs/tags/rp/") && !ref.endsWith("^{}"))
      refs.tags.set(ref.slice("refs/tags/".length), oid);
  }
  return refs;
}
