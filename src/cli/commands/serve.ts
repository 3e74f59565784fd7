import type { Command } from "commander";
import { openHome } from "../../home/open-home.ts";
import type { CliRuntime } from "../runtime.ts";
import { startServer } from "../start-server.ts";
import { waitForShutdown } from "../wait-for-shutdown.ts";

export function registerServe(program: Command, rt: CliRuntime): void {
  program
    .command("serve")
    .description("run the HTTP service on this home (master or slave by the home's role)")
    .option("--host <host>", "address to listen on (default: settings, 127.0.0.1)")
    .option("--port <port>", "port (default: settings, 8740; 0 picks a free one)", (v: string) =>
      Number.parseInt(v, 10),
    )
    .option("--no-schedules", "do not run the scheduled backup jobs and alerts (settings.schedules)")
    .action(async (opts, cmd: Command) => {
      const logger = rt.logger(rt.env.CONFVAULT_LOG_LEVEL ?? "info");
      const ctx = await openHome({
        dir: rt.homeDir(cmd),
        env: rt.env,
        keyFile: rt.globals(cmd).keyFile,
        logger,
      });
      const server = await startServer(ctx, {
        host: opts.host ?? ctx.settings.server.host,
        port: opts.port ?? ctx.settings.server.port,
        logger,
        env: rt.env,
        schedules: opts.schedules !== false,
      });
      logger.info({ url: server.url, home: ctx.layout.dir, role: ctx.settings.role }, "confvault listening");
      rt.print(cmd, { url: server.url }, `confvault ${ctx.settings.role} listening on ${server.url}`);
      await waitForShutdown(logger, [() => server.close()]);
    });
}
