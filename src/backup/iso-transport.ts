import fs from "node:fs";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { redactUrl } from "./remote-url.ts";
import type { PushTransport, RemoteRefs } from "./transport.ts";

/**
 * Pushes over http(s) in process through isomorphic-git: the fallback when no git CLI is on
 * PATH. It sends packs without deltas (much larger) and one ref per request, so "auto" prefers
 * the git CLI.
 */
export function isoTransport({
  gitdir,
  url,
  username,
  token,
}: {
  gitdir: string;
  url: string;
  username: string;
  token?: string;
}): PushTransport {
  let authTried = false;
  const auth = {
    onAuth: () => {
      if (token === undefined || authTried) return { cancel: true };
      authTried = true;
      return { username, password: token };
    },
    onAuthFailure: () => ({ cancel: true }),
  };
  const wrap = (what: string, err: unknown): ConfvaultError => {
    if (err instanceof ConfvaultError) return err;
    const e = err as {
      code?: string;
      message?: string;
      data?: { statusCode?: number; statusMessage?: string };
    };
    const status = e.data?.statusCode
      ? ` (HTTP ${e.data.statusCode}${e.data.statusMessage ? ` ${e.data.statusMessage}` : ""})`
      : "";
    const authProblem = e.code === "UserCanceledError" || e.data?.statusCode === 401;
    return new ConfvaultError(
      "REMOTE_FAILED",
      `${what} ${redactUrl(url)} failed${authProblem ? ": authentication failed" : ""}${status}: ${e.message ?? String(err)}`,
      authProblem
        ? "check the token (--token-env VAR or remotes/NAME.token)"
        : "check the URL and that the server accepts pushes",
      { url: redactUrl(url), ...(e.data?.statusCode ? { status: e.data.statusCode } : {}) },
      err,
    );
  };
  return {
    name: "isomorphic-git",
    async listRefs(): Promise<RemoteRefs> {
      try {
        authTried = false;
        // receive-pack speaks protocol v0/v1 only; asking for v2 makes git http-backend drop the "# service" line.
        const refs = await git.listServerRefs({ http, url, forPush: true, protocolVersion: 1, ...auth });
        const out: RemoteRefs = { main: null, tags: new Map() };
        for (const r of refs) {
          if (r.ref === "refs/heads/main") out.main = r.oid;
          else if (r.ref.startsWith("refs/tags/rp/") && !r.ref.endsWith("^{}"))
            out.tags.set(r.ref.slice("refs/tags/".length), r.oid);
        }
        return out;
      } catch (err) {
        throw wrap("listing", err);
      }
    },
    async isAncestor(ancestor, descendant) {
      try {
        return await git.isDescendent({ fs, gitdir, oid: descendant, ancestor, depth: -1 });
      } catch {
        return false;
      }
    },
    async push(plan, onProgress) {
      const refs = [...(plan.main ? ["refs/heads/main"] : []), ...plan.tags.map((t) => `refs/tags/${t}`)];
      let done = 0;
      for (const ref of refs) {
        let result: Awaited<ReturnType<typeof git.push>>;
        try {
          authTried = false;
          result = await git.push({ fs, http, gitdir, url, ref, remoteRef: ref, ...auth });
        } catch (err) {
          const e = err as { code?: string; data?: { reason?: string } };
          if (e.code === "PushRejectedError") {
            throw new ConfvaultError(
              "REMOTE_DIVERGED",
              `${redactUrl(url)} refused ${ref} (${e.data?.reason ?? "not a fast-forward"})`,
              "the remote has history this home does not; confvault never force-pushes",
              {
                url: redactUrl(url),
                ref,
              },
            );
          }
          throw wrap("pushing to", err);
        }
        const status = result.refs[ref];
        if (!result.ok || (status && !status.ok)) {
          throw new ConfvaultError(
            "REMOTE_FAILED",
            `${redactUrl(url)} refused ${ref}: ${status?.error ?? result.error ?? "unknown reason"}`,
            "read the server's message",
            {
              url: redactUrl(url),
              ref,
            },
          );
        }
        onProgress?.({ phase: "refs", done: ++done, total: refs.length });
      }
    },
  };
}
