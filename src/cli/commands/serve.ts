import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { ConfvaultError } from "../../errors/confvault-error.ts";
import { openHome } from "../../home/open-home.ts";
import { readTlsIdentity } from "../../server/tls-files.ts";
import type { CliRuntime } from "../runtime.ts";
import { startServer } from "../start-server.ts";
import { waitForShutdown } from "../wait-for-shutdown.ts";

export function registerServe(program: Command, rt: CliRuntime): void {
  program
    .command("serve")
    .description("run the HTTP(S) service on this home (master or slave by the home's role)")
    .option("--host <host>", "address to listen on (default: settings, 127.0.0.1)")
    .option("--port <port>", "port (default: settings, 8740; 0 picks a free one)", portNumber)
    .option(
      "--tls-cert <pem>",
      "serve HTTPS with this certificate (default: settings server.tls, else the home's tls/ pair)",
    )
    .option("--tls-key <pem>", "the private key of --tls-cert")
    .option("--no-tls", "serve plain HTTP even when the home has a TLS pair")
    .option("--no-schedules", "do not run the scheduled backup jobs and alerts (settings.schedules)")
    .action(async (opts, cmd: Command) => {
      const logger = rt.logger(rt.env.CONFVAULT_LOG_LEVEL ?? "info");
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
        throw new ConfvaultError(
          "BAD_USAGE",
          "--tls-cert and --tls-key go together",
          "pass both PEM files, or neither",
        );
      }
      const ctx = await openHome({
        dir: rt.homeDir(cmd),
        env: rt.env,
        keyFile: rt.globals(cmd).keyFile,
        logger,
      });
      const tls =
        opts.tls === false
          ? null
          : await readTlsIdentity(
              ctx.layout,
              opts.tlsCert ? { cert: path.resolve(opts.tlsCert), key: path.resolve(opts.tlsKey) } : undefined,
            );
      const server = await startServer(ctx, {
        host: opts.host ?? ctx.settings.server.host,
        port: opts.port ?? ctx.settings.server.port,
        logger,
        env: rt.env,
        schedules: opts.schedules !== false,
        ...(tls ? { tls } : {}),
      });
      logger.info(
        {
          url: server.url,
          home: ctx.layout.dir,
          role: ctx.settings.role,
          tlsFingerprint256: tls?.fingerprint256,
        },
        "confvault listening",
      );
      rt.print(
        cmd,
        { url: server.url, tlsFingerprint256: tls?.fingerprint256 },
        `confvault ${ctx.settings.role} listening on ${server.url}`,
      );
      await waitForShutdown(logger, [() => server.close()]);
    });
}

/** A TCP port, 0–65535 (0 picks a free one); anything else is a usage error (exit 2), not a crash. */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError("expected a port number from 0 to 65535");
  return n;
}
