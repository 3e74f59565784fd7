/**
 * A real smart-HTTP git server for tests: `git http-backend` run as CGI behind node:http on
 * 127.0.0.1 (random port). Clients talk to it exactly as they would to GitHub or Gitea over http.
 *
 *   const server = await startGitHttpServer({ auth: { bearer: "s3cret" } });
 *   const url = await server.createRepo("offsite.git");   // bare repo, pushes enabled
 *   server.refusePushes = true;                            // later pushes get 403
 *   await server.close();                                  // stops the server, removes its repos
 *
 * Auth (optional): `bearer` accepts `Authorization: Bearer <token>`; `basic` accepts
 * `Authorization: Basic` with that user and password; with `basicPasswordOnly` any user name
 * is accepted (as GitHub/GitLab do with tokens). Without credentials the answer is
 * 401 + `WWW-Authenticate: Basic`. Reads and writes both need auth when auth is set.
 *
 * The server runs inside the test's own process: drive git against it asynchronously
 * (`execFile`, the CLI helper, the api) — a synchronous `execFileSync("git", …)` would block
 * the event loop that serves the request and hang.
 */
import { execFileSync, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface GitHttpServerOptions {
  /** Folder holding the bare repositories (GIT_PROJECT_ROOT); default: a new temp folder. */
  root?: string;
  auth?: {
    bearer?: string;
    basic?: { username: string; password: string };
    /** Accept Basic auth with any user name when the password matches. */
    basicPasswordOnly?: string;
  };
}

export interface GitHttpServer {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** GIT_PROJECT_ROOT. */
  readonly root: string;
  /** When true, every push (git-receive-pack) is answered 403; fetches keep working. */
  refusePushes: boolean;
  /** Number of requests answered so far (any status). */
  readonly requests: number;
  /** Creates (or re-configures) a bare repository under root with pushes enabled; returns its URL. */
  createRepo(name: string): Promise<string>;
  /** URL of a repository under root. */
  repoUrl(name: string): string;
  /** Folder of a repository under root (for direct `git --git-dir=…` checks). */
  repoDir(name: string): string;
  close(): Promise<void>;
}

const gitEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: os.tmpdir(),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
});

export async function startGitHttpServer(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
  const ownRoot = options.root === undefined;
  const root = options.root ?? (await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-git-http-")));
  const backend = path.join(
    execFileSync("git", ["--exec-path"], { encoding: "utf8" }).trim(),
    "git-http-backend",
  );
  let requests = 0;
  const state = { refusePushes: false };

  const server = http.createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? "/", "http://localhost");
    const user = authorise(req.headers.authorization, options.auth);
    if (user === null) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"', "Content-Type": "text/plain" });
      res.end("authentication required\n");
      req.resume();
      return;
    }
    const isPush =
      url.pathname.endsWith("/git-receive-pack") || url.searchParams.get("service") === "git-receive-pack";
    if (isPush && state.refusePushes) {
      res.writeHead(403, { "Content-Type": "text/plain" });
      res.end("pushes are refused by this server\n");
      req.resume();
      return;
    }
    const env: Record<string, string> = {
      ...gitEnv(),
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ""),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      REMOTE_USER: user,
      GATEWAY_INTERFACE: "CGI/1.1",
      SERVER_PROTOCOL: "HTTP/1.1",
    };
    if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
    if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
    if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = String(req.headers["git-protocol"]);
    const child = spawn(backend, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    req.pipe(child.stdin);
    child.stdin.on("error", () => {});
    let head = Buffer.alloc(0);
    let headersDone = false;
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const split = findHeaderEnd(head);
      if (!split) return;
      headersDone = true;
      const { status, headers } = parseCgiHeaders(head.subarray(0, split.index).toString("latin1"));
      res.writeHead(status, headers);
      res.write(head.subarray(split.index + split.length));
    });
    child.on("close", (code) => {
      if (!headersDone) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`git http-backend failed (${code}): ${stderr}\n`);
        return;
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    root,
    get refusePushes() {
      return state.refusePushes;
    },
    set refusePushes(value: boolean) {
      state.refusePushes = value;
    },
    get requests() {
      return requests;
    },
    async createRepo(name) {
      const dir = path.join(root, name);
      execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", dir], { env: gitEnv() });
      execFileSync("git", [`--git-dir=${dir}`, "config", "http.receivepack", "true"], { env: gitEnv() });
      return `${base}/${name}`;
    },
    repoUrl: (name) => `${base}/${name}`,
    repoDir: (name) => path.join(root, name),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownRoot) await fsp.rm(root, { recursive: true, force: true });
    },
  };
}

/** The user name to hand to http-backend, "" when no auth is configured, null when refused. */
function authorise(header: string | undefined, auth: GitHttpServerOptions["auth"]): string | null {
  if (!auth) return "";
  if (!header) return null;
  const [scheme, value = ""] = header.split(" ", 2) as [string, string?];
  if (scheme.toLowerCase() === "bearer" && auth.bearer !== undefined && value === auth.bearer) return "token";
  if (scheme.toLowerCase() === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    if (colon < 0) return null;
    if (auth.basic && user === auth.basic.username && password === auth.basic.password) return user;
    if (auth.basicPasswordOnly !== undefined && password === auth.basicPasswordOnly) return user || "token";
  }
  return null;
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | null {
  const crlf = buf.indexOf("\r\n\r\n");
  const lf = buf.indexOf("\n\n");
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return null;
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
