import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
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
  /** Serve HTTPS with this PEM pair; plain HTTP without. */
  tls?: { certPem: string; keyPem: string };
  limits?: ServerLimits;
}

/** Cut-offs against slow or piled-up clients (issue 9): defaults 30 s, 10 s, 5 s, 256. */
export interface ServerLimits {
  /** The whole request (headers and body) must arrive within this, else 408 and the socket is closed. */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** Connections beyond this are closed as they arrive. */
  maxConnections?: number;
}

export interface NodeServer {
  url: string;
  /** Stops accepting, lets in-flight requests finish (bounded by shutdownTimeoutMs), then resolves. */
  close(): Promise<void>;
}

/** The Node adapter: runs a Web-standard app on node:http (or node:https) through @hono/node-server. */
export async function serveNode(options: ServeNodeOptions): Promise<NodeServer> {
  const { app, host, port, logger, shutdownTimeoutMs = 10_000, tls } = options;
  const requestTimeout = options.limits?.requestTimeoutMs ?? 30_000;
  // Node refuses a headers timeout above the request timeout.
  const headersTimeout = Math.min(options.limits?.headersTimeoutMs ?? 10_000, requestTimeout);
  const serverOptions = {
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: options.limits?.keepAliveTimeoutMs ?? 5_000,
    // How often Node checks the two timeouts above (its default, 30 s, would blur them).
    connectionsCheckingInterval: Math.max(20, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  // overrideGlobalObjects: false keeps the process's global Request/Response untouched.
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    overrideGlobalObjects: false,
    ...(tls
      ? {
          createServer: createHttpsServer,
          serverOptions: { ...serverOptions, cert: tls.certPem, key: tls.keyPem },
        }
      : { serverOptions }),
  } as Parameters<typeof createAdaptorServer>[0]) as Server;
  server.maxConnections = options.limits?.maxConnections ?? 256;
  server.on("drop", (data) =>
    logger.warn({ remote: data?.remoteAddress }, "connection refused: maxConnections reached"),
  );

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
  const url = `${tls ? "https" : "http"}://${shownHost}:${address.port}`;
  logger.info({ url, tls: Boolean(tls) }, "listening");

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
