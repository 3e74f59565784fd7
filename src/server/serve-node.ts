import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import type { AppLogger } from "./types.ts";

export interface ServeNodeOptions {
  app: { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };
  host: string;
  /** 0 picks a free port; the real one is in the returned url. */
  port: number;
  logger: AppLogger;
  /** How long close() waits for in-flight requests before cutting connections (default 10 s). */
  shutdownTimeoutMs?: number;
}

export interface NodeServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish (bounded by shutdownTimeoutMs), then resolves. */
  close(): Promise<void>;
}

/** The Node adapter: runs a Web-standard app on node:http through @hono/node-server. */
export async function serveNode(options: ServeNodeOptions): Promise<NodeServer> {
  const { app, host, port, logger, shutdownTimeoutMs = 10_000 } = options;
  // overrideGlobalObjects: false keeps the process's global Request/Response untouched.
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    overrideGlobalObjects: false,
  }) as Server;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (err) => logger.error({ err: err.message }, "http server error"));

  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  logger.info({ url }, "listening");

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const started = Date.now();
      // Keep-alive connections go idle once their request is answered: close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => {
        logger.warn({ afterMs: Date.now() - started }, "shutdown timeout: closing open connections");
        server.closeAllConnections();
      }, shutdownTimeoutMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        logger.info({ durationMs: Date.now() - started }, "http server closed");
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { url, close };
}
