// The sync benchmark's ack notification: a pass-through HTTP proxy in front of the master that
// the slave processes are joined through. Every request is forwarded unchanged; when a
// `POST /api/v1/cluster/ack` comes back 2xx from the master, the tap records which commit that
// node now has applied and wakes whoever waits for it. The harness then learns of the last ack
// the moment the master accepted it, instead of polling `GET /api/v1/cluster` every 5 ms (which
// both rounds every time up to the next poll and loads the master it measures).
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Waiter {
  commit: string;
  count: number;
  resolve: (at: number) => void;
}

/** Which commit each node last acked as applied, and waiters for "count nodes acked commit". */
export class AckBoard {
  private readonly applied = new Map<string, string>();
  /** commit → node → when the master accepted that node's ack (first one counts). */
  private readonly at = new Map<string, Map<string, number>>();
  private waiters: Waiter[] = [];

  /** A node's ack as the master accepted it (`applied.commit`, or `commit` when ok). */
  record(body: unknown): void {
    const ack = body as {
      node?: string;
      ok?: boolean;
      commit?: string;
      applied?: { commit?: string } | null;
    };
    const commit = ack.applied?.commit ?? (ack.ok ? ack.commit : undefined);
    if (!ack.node || !commit) return;
    this.applied.set(ack.node, commit);
    const now = performance.now();
    const seen = this.at.get(commit) ?? new Map<string, number>();
    if (!seen.has(ack.node)) seen.set(ack.node, now);
    this.at.set(commit, seen);
    this.waiters = this.waiters.filter((w) => {
      if (this.count(w.commit) < w.count) return true;
      w.resolve(now);
      return false;
    });
  }

  count(commit: string): number {
    let n = 0;
    for (const c of this.applied.values()) if (c === commit) n++;
    return n;
  }

  /** When the `count`-th node's ack of `commit` was accepted (performance.now()), if it was. */
  ackedAt(commit: string, count: number): number | undefined {
    return [...(this.at.get(commit)?.values() ?? [])].sort((a, b) => a - b)[count - 1];
  }

  /** Resolves with performance.now() of the ack that made `count` nodes have `commit`. */
  wait(commit: string, count: number, timeoutMs: number): Promise<number> {
    if (this.count(commit) >= count) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`only ${this.count(commit)}/${count} acked after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        commit,
        count,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** Starts the proxy to `target` (http://127.0.0.1:PORT) on a free port; `url` is what slaves use. */
export async function startAckTap(
  target: string,
  board: AckBoard,
): Promise<{ url: string; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const isAck = req.method === "POST" && req.url === "/api/v1/cluster/ack";
    const chunks: Buffer[] = [];
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        if (isAck && up.statusCode !== undefined && up.statusCode < 300)
          up.once("end", () => {
            try {
              board.record(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch {
              // not JSON: the master refused it too
            }
          });
      },
    );
    out.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.on("data", (c: Buffer) => {
      if (isAck) chunks.push(c);
      out.write(c);
    });
    req.on("end", () => out.end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
