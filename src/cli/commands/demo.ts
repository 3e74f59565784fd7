import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "commander";
import { applyConfig } from "../../api/apply.ts";
import { initHome } from "../../api/init-home.ts";
import { packageFile } from "../../core/package-files.ts";
import { writeFileAtomic } from "../../home/atomic-write.ts";
import { homeLayout } from "../../home/layout.ts";
import { openHome } from "../../home/open-home.ts";
import type { CliRuntime } from "../runtime.ts";
import { selfSignedCertificate } from "../self-signed-certificate.ts";
import { startServer } from "../start-server.ts";
import { waitForShutdown } from "../wait-for-shutdown.ts";

const SAMPLE = packageFile("templates/sample/safesquid-config.xml");

export function registerDemo(program: Command, rt: CliRuntime): void {
  program
    .command("demo")
    .description(
      "run the service on the embedded default: a local home with the bundled SafeSquid sample (npm start)",
    )
    .option("--port <port>", "port", (v: string) => Number.parseInt(v, 10), 8740)
    .action(async (opts, cmd: Command) => {
      const dir = rt.homeDir(cmd);
      const layout = homeLayout(dir);
      const logger = rt.logger(rt.env.CONFVAULT_LOG_LEVEL ?? "info");
      if (!(await fsp.stat(layout.settings).catch(() => undefined))) {
        const init = await initHome({
          dir,
          liveRoot: path.join(dir, "live"),
          node: "demo",
          cluster: "demo",
          keyFromEnv: Boolean(rt.env.CONFVAULT_ACTIVATION_KEY),
        });
        const ctx = await openHome({ dir, env: rt.env, logger });
        const sample = new Uint8Array(await fsp.readFile(SAMPLE));
        await writeFileAtomic(ctx.live("config")!, sample);
        const pair = selfSignedCertificate("confvault demo root");
        const first = await applyConfig({
          ctx,
          config: sample,
          cert: pair?.cert,
          key: pair?.key,
          reason: "initial import of the bundled SafeSquid sample",
          actor: os.userInfo().username,
          tag: "initial",
        });
        const tokenText = init.tokens.map((t) => `${t.name} (${t.role}): ${t.token}`).join("\n");
        await writeFileAtomic(path.join(dir, "demo-tokens.txt"), new TextEncoder().encode(`${tokenText}\n`), {
          mode: 0o600,
        });
        rt.out(`created demo home ${dir} with restore point ${first.tag}`);
        rt.out(`API tokens (also in ${path.join(dir, "demo-tokens.txt")}):\n${tokenText}`);
      }
      const ctx = await openHome({ dir, env: rt.env, logger });
      const server = await startServer(ctx, { host: "127.0.0.1", port: opts.port, logger });
      rt.out(`confvault demo listening on ${server.url}  (home ${dir}; try: curl ${server.url}/healthz)`);
      await waitForShutdown(logger, [() => server.close()]);
    });
}
