/**
 * A local stand-in for GitHub's REST API (the endpoints confvault calls), on node:http at
 * 127.0.0.1:0, backed by a REAL bare repository served over smart HTTP by git-http-server.ts:
 * branches, pushes and merges are real git.
 *
 *   const gh = await startFakeGithub({ owner: "acme", repo: "policy", token: "t0ken" });
 *   gh.apiUrl   // octokit baseUrl        gh.gitUrl   // https-style clone URL (token as password)
 *   await gh.merge(1, "octocat")          // as the "Merge" button: a real merge commit on main
 *   gh.pulls, gh.statuses, gh.comments    // what the code posted
 *
 * Responses follow GitHub's documented shapes (the fields confvault and octokit read).
 */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { promisify } from "node:util";
import { type GitHttpServer, startGitHttpServer } from "./git-http-server.ts";

const run = promisify(execFile);

export interface FakePull {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  merged: boolean;
  merge_commit_sha: string | null;
  merged_at: string | null;
  user: { login: string };
}

export interface FakeStatus {
  id: number;
  sha: string;
  state: string;
  description: string;
  context: string;
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  updates: number;
}

export interface FakeGithub {
  apiUrl: string;
  gitUrl: string;
  /** Folder of the bare repository. */
  gitdir: string;
  owner: string;
  repo: string;
  pulls: FakePull[];
  statuses: FakeStatus[];
  comments: FakeComment[];
  /** Every API request as "METHOD /path". */
  requests: string[];
  git(...args: string[]): Promise<string>;
  merge(number: number, by?: string): Promise<string>;
  pullJson(p: FakePull): Record<string, unknown>;
  repositoryJson(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startFakeGithub(options: {
  owner: string;
  repo: string;
  token: string;
}): Promise<FakeGithub> {
  const { owner, repo, token } = options;
  const git: GitHttpServer = await startGitHttpServer({ auth: { basicPasswordOnly: token } });
  const gitUrl = await git.createRepo(`${repo}.git`);
  const gitdir = git.repoDir(`${repo}.git`);
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: os.tmpdir(),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
  const g = async (...args: string[]) =>
    (await run("git", [`--git-dir=${gitdir}`, ...args], { env })).stdout.trim();
  const pulls: FakePull[] = [];
  const statuses: FakeStatus[] = [];
  const comments: FakeComment[] = [];
  const requests: string[] = [];
  let ids = 1000;
  let base = "";
  const full = `${owner}/${repo}`;

  const repositoryJson = () => ({
    id: 1296269,
    node_id: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
    name: repo,
    full_name: full,
    private: true,
    owner: { login: owner, id: 1, type: "Organization" },
    html_url: `https://github.example/${full}`,
    url: `${base}/repos/${full}`,
    default_branch: "main",
  });
  const pullJson = (p: FakePull) => ({
    url: `${base}/repos/${full}/pulls/${p.number}`,
    id: 9000 + p.number,
    html_url: `https://github.example/${full}/pull/${p.number}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    body: p.body,
    user: { login: p.user.login, id: 2, type: "User" },
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
    closed_at: p.merged_at,
    merged_at: p.merged_at,
    merge_commit_sha: p.merge_commit_sha,
    merged: p.merged,
    draft: false,
    head: { label: `${owner}:${p.head.ref}`, ref: p.head.ref, sha: p.head.sha, repo: repositoryJson() },
    base: { label: `${owner}:${p.base.ref}`, ref: p.base.ref, sha: p.base.sha, repo: repositoryJson() },
  });

  async function merge(number: number, by = "octocat"): Promise<string> {
    const p = pulls.find((x) => x.number === number);
    const closed = Object.assign(new Error("Pull Request is not mergeable"), { status: 405 });
    if (!p) throw closed;
    if (p.state !== "open") throw closed;
    const head = await g("rev-parse", `refs/heads/${p.head.ref}`);
    const baseTip = await g("rev-parse", `refs/heads/${p.base.ref}`);
    const tree = await g("merge-tree", "--write-tree", baseTip, head).catch(() => {
      throw Object.assign(new Error("Merge conflict"), { status: 405 });
    });
    const message = `Merge pull request #${number} from ${owner}/${p.head.ref}\n\n${p.title}\n`;
    const commit = (
      await run(
        "git",
        [
          `--git-dir=${gitdir}`,
          "commit-tree",
          tree.split("\n")[0]!,
          "-p",
          baseTip,
          "-p",
          head,
          "-m",
          message,
        ],
        {
          env: {
            ...env,
            GIT_AUTHOR_NAME: by,
            GIT_AUTHOR_EMAIL: `${by}@users.noreply.github.example`,
            GIT_COMMITTER_NAME: "GitHub",
            GIT_COMMITTER_EMAIL: "noreply@github.example",
          },
        },
      )
    ).stdout.trim();
    await g("update-ref", `refs/heads/${p.base.ref}`, commit, baseTip);
    Object.assign(p, {
      state: "closed",
      merged: true,
      merge_commit_sha: commit,
      merged_at: new Date().toISOString(),
    });
    return commit;
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
      send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      return;
    }
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
    const prefix = `/repos/${full}`;
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : null;
    try {
      let m: RegExpMatchArray | null;
      if (path === null) return send(404, { message: "Not Found" });
      if (path === "/pulls" && req.method === "POST") {
        const headSha = await g("rev-parse", "--verify", "--quiet", `refs/heads/${body.head}`).catch(
          () => "",
        );
        const baseSha = await g("rev-parse", "--verify", "--quiet", `refs/heads/${body.base}`).catch(
          () => "",
        );
        if (!headSha || !baseSha)
          return send(422, {
            message: "Validation Failed",
            errors: [{ resource: "PullRequest", field: "head", code: "invalid" }],
          });
        const p: FakePull = {
          number: pulls.length + 1,
          title: body.title,
          body: body.body ?? "",
          state: "open",
          head: { ref: body.head, sha: headSha },
          base: { ref: body.base, sha: baseSha },
          merged: false,
          merge_commit_sha: null,
          merged_at: null,
          user: { login: "confvault-bot" },
        };
        pulls.push(p);
        return send(201, pullJson(p));
      }
      if (path === "/pulls" && req.method === "GET") {
        const state = url.searchParams.get("state") ?? "open";
        return send(200, pulls.filter((p) => state === "all" || p.state === state).map(pullJson));
      }
      if ((m = path.match(/^\/pulls\/(\d+)$/)) && req.method === "GET") {
        const p = pulls.find((x) => x.number === Number(m![1]));
        return p ? send(200, pullJson(p)) : send(404, { message: "Not Found" });
      }
      if ((m = path.match(/^\/pulls\/(\d+)\/merge$/)) && req.method === "PUT") {
        try {
          const sha = await merge(Number(m[1]));
          return send(200, { sha, merged: true, message: "Pull Request successfully merged" });
        } catch (err) {
          return send((err as { status?: number }).status ?? 500, { message: (err as Error).message });
        }
      }
      if ((m = path.match(/^\/statuses\/([0-9a-f]{40})$/)) && req.method === "POST") {
        const s: FakeStatus = {
          id: ids++,
          sha: m[1]!,
          state: body.state,
          description: body.description ?? "",
          context: body.context ?? "default",
        };
        statuses.push(s);
        return send(201, {
          url: `${base}${prefix}/statuses/${s.sha}`,
          id: s.id,
          state: s.state,
          description: s.description,
          context: s.context,
          target_url: body.target_url ?? null,
          created_at: new Date().toISOString(),
        });
      }
      if ((m = path.match(/^\/issues\/(\d+)\/comments$/))) {
        const issue = Number(m[1]);
        if (req.method === "GET")
          return send(
            200,
            comments.filter((c) => c.issue === issue).map((c) => commentJson(c)),
          );
        if (req.method === "POST") {
          const c: FakeComment = { id: ids++, issue, body: body.body, updates: 0 };
          comments.push(c);
          return send(201, commentJson(c));
        }
      }
      if ((m = path.match(/^\/issues\/comments\/(\d+)$/)) && req.method === "PATCH") {
        const c = comments.find((x) => x.id === Number(m![1]));
        if (!c) return send(404, { message: "Not Found" });
        c.body = body.body;
        c.updates++;
        return send(200, commentJson(c));
      }
      if ((m = path.match(/^\/commits\/([0-9a-f]{40})\/pulls$/)) && req.method === "GET") {
        const sha = m[1];
        return send(200, pulls.filter((p) => p.merge_commit_sha === sha || p.head.sha === sha).map(pullJson));
      }
      return send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    } catch (err) {
      return send(500, { message: (err as Error).message });
    }
  });
  const commentJson = (c: FakeComment) => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${base}/repos/${full}/issues/comments/${c.id}`,
    html_url: `https://github.example/${full}/pull/${c.issue}#issuecomment-${c.id}`,
    body: c.body,
    user: { login: "confvault-bot", id: 3, type: "Bot" },
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: base,
    gitUrl,
    gitdir,
    owner,
    repo,
    pulls,
    statuses,
    comments,
    requests,
    git: g,
    merge,
    pullJson,
    repositoryJson,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await git.close();
    },
  };
}
