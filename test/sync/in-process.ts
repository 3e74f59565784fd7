import { promises as fsp } from "node:fs";
import path from "node:path";
import { bindOperations } from "../../src/api/operations.ts";
import type { HomeContext } from "../../src/home/context.ts";
import { openHome } from "../../src/home/open-home.ts";
import { readTokenRecords } from "../../src/home/token-file.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { syncRoutes } from "../../src/server/sync-routes.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import type { FetchLike } from "../../src/sync/http-json.ts";
import { joinCluster } from "../../src/sync/join-cluster.ts";
import { createJoinToken } from "../../src/sync/join-tokens.ts";
import { syncPaths } from "../../src/sync/json-state.ts";
import { createMasterSync } from "../../src/sync/master-sync.ts";
import { createSlaveSync } from "../../src/sync/slave-sync.ts";
import { ROOT, type TempHome, tempHome } from "../helpers/temp-home.ts";

export const SAMPLE = new Uint8Array(
  await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml")),
);
export const MASTER_URL = "http://master.test:8740";

const quiet = { info() {}, warn() {}, error() {} };

/** A fetch that hands requests to in-process apps by host name: no sockets. */
export function router(
  apps: Record<string, { fetch: (r: Request) => Response | Promise<Response> }>,
): FetchLike {
  return async (input, init) => {
    const req = new Request(input, init);
    const app = apps[new URL(req.url).host];
    if (!app) throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    return await app.fetch(req);
  };
}

async function appFor(ctx: HomeContext, routes: ReturnType<typeof syncRoutes>) {
  const records = await readTokenRecords(ctx.layout.tokens);
  return createApp(
    {
      ops: bindOperations(ctx),
      tokens: createTokenVerifier(records),
      logger: quiet,
      metrics: createMetrics(),
      version: "test",
    },
    routes,
  );
}

export async function withSettings(
  home: TempHome,
  patch: (s: Record<string, any>) => void,
  key?: string,
): Promise<HomeContext> {
  const file = home.ctx.layout.settings;
  const s = JSON.parse(await fsp.readFile(file, "utf8"));
  patch(s);
  await fsp.writeFile(file, JSON.stringify(s, null, 2));
  return await openHome({ dir: home.dir, env: key ? { CONFVAULT_ACTIVATION_KEY: key } : home.env });
}

/** A master and one joined slave, each with its own activation key, talking through in-process apps. */
export async function inProcessPair(
  options: { profile?: "safesquid" | "opnsense"; slaveLive?: Uint8Array } = {},
) {
  const profile = options.profile ?? "safesquid";
  const masterHome = await tempHome({ role: "master", node: "m1", cluster: "c", profile });
  const slaveHome = await tempHome({ role: "slave", node: "s1", cluster: "c", master: MASTER_URL, profile });
  const slaveKey = "slave-activation-key-abcdef0123456789";
  const apps: Record<string, { fetch: (r: Request) => Response | Promise<Response> }> = {};
  const fetch = router(apps);
  const master = await createMasterSync({ ctx: masterHome.ctx, fetch });
  apps["master.test:8740"] = await appFor(masterHome.ctx, syncRoutes(master));
  const { token } = await createJoinToken(syncPaths(masterHome.ctx.layout.state).joinTokens, {
    ttlMs: 60_000,
    masterKey: (await masterHome.ctx.keys()).signer.sshPublicKey,
  });
  await joinCluster({
    dir: slaveHome.dir,
    env: { CONFVAULT_ACTIVATION_KEY: slaveKey },
    master: MASTER_URL,
    joinToken: token,
    url: "http://s1.test:8741",
    fetch,
  });
  const slaveCtx = await withSettings(slaveHome, () => {}, slaveKey);
  const live = slaveCtx.live("config")!;
  await fsp.mkdir(path.dirname(live), { recursive: true });
  await fsp.writeFile(
    live,
    options.slaveLive ??
      new TextDecoder().decode(SAMPLE).replace("proxy-a.example.internal", "proxy-s1.example.internal"),
  );
  const slave = await createSlaveSync({ ctx: slaveCtx, fetch });
  apps["s1.test:8741"] = await appFor(slaveCtx, syncRoutes(slave));
  return {
    masterHome,
    slaveHome,
    master,
    slave,
    slaveCtx,
    fetch,
    apps,
    async cleanup() {
      await slave.stop();
      await master.stop();
      await masterHome.cleanup();
      await slaveHome.cleanup();
    },
  };
}

export async function waitFor(
  cond: () => Promise<boolean> | boolean,
  ms = 5_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
