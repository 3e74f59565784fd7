import { bindOperations } from "../api/operations.ts";
import { lockHome } from "../core/lock-home.ts";
import { packageVersion } from "../core/package-files.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext, Logger } from "../home/context.ts";
import { readTokenRecords } from "../home/token-file.ts";
import { latestRestorePointSeconds } from "../ops/ops-metrics.ts";
import { opsRoutes } from "../ops/ops-routes.ts";
import { createOps } from "../ops/start-ops.ts";
import { startReview } from "../review/start-review.ts";
import { createApp } from "../server/create-app.ts";
import { createMetrics } from "../server/metrics.ts";
import { type NodeServer, serveNode } from "../server/serve-node.ts";
import { syncRoutes } from "../server/sync-routes.ts";
import { createTokenVerifier } from "../server/tokens.ts";
import { createSync } from "../sync/start-sync.ts";

/** Wires one home into the HTTP app and starts it on Node. Tokens are re-read on every check so new ones work at once. */
export async function startServer(
  ctx: HomeContext,
  options: {
    host: string;
    port: number;
    logger: Logger;
    env?: Record<string, string | undefined>;
    /** Scheduled backup jobs and alerts (src/ops/); default on. */
    schedules?: boolean;
    /** HTTPS pair (see readTlsIdentity); plain HTTP when absent. */
    tls?: { certPem: string; keyPem: string };
  },
): Promise<NodeServer> {
  const metrics = createMetrics({ latestRestorePoint: () => latestRestorePointSeconds(ctx) });
  // Backup operations: scheduled capture/push/drill/maintenance/prune, alerts, their metrics.
  const ops = createOps({ ctx, metrics, env: options.env ?? process.env });
  const tokens = {
    async verify(token: string) {
      return await createTokenVerifier(await readTokenRecords(ctx.layout.tokens)).verify(token);
    },
  };
  // Cluster sync by role: master fan-out + releases, or slave webhook + poller (src/sync/).
  const sync = await createSync({ ctx, metrics });
  // GitHub review webhook when the home has "github" settings (not on slaves: merges apply on the master).
  const review =
    ctx.settings.role === "slave" ? undefined : await startReview(ctx, options.env ?? process.env);
  const app = createApp(
    {
      ops: bindOperations(ctx),
      tokens,
      logger: options.logger as never,
      metrics,
      bodyLimit: ctx.settings.server.bodyLimit,
      version: packageVersion(),
      ...(review ? { github: review.webhook } : {}),
    },
    [sync ? syncRoutes(sync.api) : {}, opsRoutes(ctx)],
  );
  const server = await serveNode({
    app,
    host: options.host,
    port: options.port,
    logger: options.logger as never,
    ...(options.tls ? { tls: options.tls } : {}),
    limits: {
      requestTimeoutMs: ctx.settings.server.requestTimeoutMs,
      headersTimeoutMs: ctx.settings.server.headersTimeoutMs,
      keepAliveTimeoutMs: ctx.settings.server.keepAliveTimeoutMs,
      maxConnections: ctx.settings.server.maxConnections,
    },
  }).catch((err: unknown) => {
    throw listenError(err, options.host, options.port);
  });
  // Finish or undo a change a killed process left in flight before anything is released.
  await lockHome(ctx, "serve", { waitMs: 2_000 })
    .then((lock) => lock.release())
    .catch((err) => options.logger.warn({ err: (err as Error).message }, "start-up repair skipped"));
  sync?.start();
  if (options.schedules !== false) await ops.start();
  return {
    url: server.url,
    async close() {
      // First: no new scheduled runs; the ones in progress finish and release the home lock.
      await ops.stop();
      await sync?.stop();
      await server.close();
    },
  };
}

/** A failed listen as what to do about it: the port is taken, not allowed, or the host is not ours. */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const data = { host, port, errno: code };
  if (code === "EADDRINUSE")
    return new ConfvaultError(
      "PORT_IN_USE",
      `${where} is already in use`,
      `stop the process listening there (\`ss -ltnp 'sport = :${port}'\` names it), or pass another --port (0 picks a free one)`,
      data,
      err,
    );
  if (code === "EACCES" || code === "EPERM")
    return new ConfvaultError(
      "BAD_USAGE",
      `not allowed to listen on ${where}`,
      port < 1024
        ? "ports below 1024 need root or CAP_NET_BIND_SERVICE: pass --port 1024 or higher"
        : "check the service's permissions (systemd SocketBindDeny, SELinux)",
      data,
      err,
    );
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN")
    return new ConfvaultError(
      "BAD_USAGE",
      `cannot listen on ${where}: ${host} is not an address of this machine`,
      "pass --host 127.0.0.1, 0.0.0.0 (every IPv4 address) or one of this machine's addresses",
      data,
      err,
    );
  return err;
}
