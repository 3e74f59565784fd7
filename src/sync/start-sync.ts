import type { HomeContext } from "../home/context.ts";
import type { AppMetrics } from "../server/metrics.ts";
import type { FetchLike } from "./http-json.ts";
import { createMasterSync, type MasterSyncApi } from "./master-sync.ts";
import { createPinnedFetch } from "./pinned-fetch.ts";
import { createSlaveSync, type SlaveSyncApi } from "./slave-sync.ts";

export interface RunningSync {
  api: MasterSyncApi | SlaveSyncApi;
  start(): void;
  stop(): Promise<void>;
}

/** Cluster sync for a home by its role; a standalone home has none. */
export async function createSync(options: {
  ctx: HomeContext;
  metrics?: AppMetrics;
  fetch?: FetchLike;
}): Promise<RunningSync | undefined> {
  const { ctx } = options;
  if (ctx.settings.role === "master") {
    const m = await createMasterSync(options);
    return { api: m, start: () => m.start(), stop: () => m.stop() };
  }
  if (ctx.settings.role === "slave") {
    // The master's TLS certificate pinned at join; plain HTTP only when the join asked for it.
    const s = await createSlaveSync({
      ...options,
      fetchFor: (c) =>
        createPinnedFetch({
          fingerprint256: c.tlsFingerprint256,
          allowInsecureHttp: c.insecureHttp === true,
          logger: ctx.logger,
        }),
    });
    return { api: s, start: () => s.start(), stop: () => s.stop() };
  }
  return undefined;
}
