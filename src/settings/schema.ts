import { z } from "zod";
import { alertsSchema, reportsSchema, schedulesSchema } from "../ops/ops-settings.ts";

const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' or '-'");
const pathList = z.array(
  z
    .string()
    .min(1)
    .max(300)
    .regex(/^(\/\/)?[^/\s]+(\/[^/\s]+)*$/, "an element path like a/b or //a/b"),
);

/** The home's settings.json, version 1. Unknown keys are refused so typos surface. */
export const settingsSchema = z
  .object({
    version: z.literal(1),
    profile: z.enum(["safesquid", "opnsense", "pfsense", "generic"]),
    role: z.enum(["standalone", "master", "slave"]),
    node: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' or '-'"),
    cluster: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' or '-'"),
    liveRoot: z.string().min(1),
    live: z
      .object({
        config: z.string().min(1).optional(),
        cert: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    localSections: z
      .object({ add: pathList.default([]), remove: pathList.default([]) })
      .strict()
      .default({ add: [], remove: [] }),
    secretPaths: z
      .object({ add: pathList.default([]), remove: pathList.default([]) })
      .strict()
      .default({ add: [], remove: [] }),
    volatilePaths: z
      .object({ add: pathList.default([]), remove: pathList.default([]) })
      .strict()
      .default({ add: [], remove: [] }),
    /**
     * The leak guard refuses any commit holding private key material. `allow`: element paths
     * ("a/b" below the root, "//a/b" anywhere) whose key material is accepted anyway, for the
     * rare true exception (a sample or test key the appliance ships). Real keys belong in
     * secretPaths (sealed) or --cert/--key.
     */
    leakGuard: z
      .object({ allow: pathList.default([]) })
      .strict()
      .prefault({}),
    master: z.url().optional(),
    keyFile: z.string().min(1).optional(),
    hooks: z
      .object({ timeoutMs: z.number().int().min(100).max(600_000).default(30_000) })
      .strict()
      .default({ timeoutMs: 30_000 }),
    server: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8740),
        bodyLimit: z
          .number()
          .int()
          .min(1024)
          .default(32 * 1024 * 1024),
        /** HTTPS: PEM certificate and key (paths relative to the home); unset: the home's tls/ pair if any. */
        tls: z
          .object({ cert: z.string().min(1), key: z.string().min(1) })
          .strict()
          .optional(),
        /** Whole request (headers and body) must arrive within this; a slow body is cut off. */
        requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
        headersTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        keepAliveTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
        /** Open connections at once; more are refused. */
        maxConnections: z.number().int().min(1).max(100_000).default(256),
      })
      .strict()
      .prefault({}),
    /** Cluster sync (see src/sync/): how the master pushes and how a slave polls. */
    sync: z
      .object({
        /** This slave's URL as its master reaches it (given at join). */
        url: z.url().optional(),
        /** Nodes that get each release first; unset: the first joined slave; []: no canary. */
        canary: z.array(nodeName).optional(),
        /** node-cron expression of the slave's poll (6 fields allowed, so seconds for tests). */
        pollSchedule: z.string().min(1).default("0 * * * * *"),
        /** Random delay added to each poll so a fleet does not ask at the same second. */
        pollJitterMs: z.number().int().min(0).max(3_600_000).default(20_000),
        /** Webhooks in flight at once on the master. */
        concurrency: z.number().int().min(1).max(1024).default(16),
        /** How long the master waits for the canary's result before it holds the rollout. */
        canaryTimeoutMs: z.number().int().min(1000).max(3_600_000).default(300_000),
        /** Delivery attempts after the first, with exponential backoff from retryBaseMs. */
        retries: z.number().int().min(0).max(20).default(4),
        retryBaseMs: z.number().int().min(10).max(60_000).default(250),
        /** How often the master's serve process looks at the tip of main. */
        watchIntervalMs: z.number().int().min(20).max(60_000).default(200),
      })
      .strict()
      .prefault({}),
    /**
     * Pull-request review through GitHub (see src/review/). The API token comes from env
     * CONFVAULT_GITHUB_TOKEN and the webhook secret from env CONFVAULT_GITHUB_WEBHOOK_SECRET or
     * a mode-0600 file: neither is ever kept in settings.json or the repository.
     */
    github: z
      .object({
        owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "a GitHub user or organisation name"),
        repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "a GitHub repository name"),
        branch: z.string().min(1).max(200).default("main"),
        /** REST API base URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise. */
        apiUrl: z.url().default("https://api.github.com"),
        /** https URL git pushes to and fetches from (default https://github.com/OWNER/REPO.git). */
        gitUrl: z.url().optional(),
        /** Webhook secret file (mode 0600); default <home>/github-webhook.secret. */
        webhookSecretFile: z.string().min(1).optional(),
        /** Commit status context. */
        statusContext: z.string().min(1).max(100).default("confvault"),
        /** How long a merged change waits for the slaves' acks before its status is posted. */
        syncWaitMs: z.number().int().min(0).max(3_600_000).default(60_000),
      })
      .strict()
      .optional(),
    /** Backup operations run by `serve` (src/ops/): node-cron expressions in UTC, null switches a job off. */
    schedules: schedulesSchema,
    /** Notification webhooks and thresholds for backup and sync alerts (src/ops/). */
    alerts: alertsSchema,
    /** The status report by e-mail, weekly and monthly (src/ops/report-mail.ts). */
    reports: reportsSchema,
    /** Restore points removed by prune wait this long in refs/confvault/trash/ (undelete brings one back); 0 deletes at once. */
    retention: z
      .object({
        trashDays: z.number().int().min(0).max(3_650).default(7),
        /** Git remotes also get refs/confvault/trash/* (never forced, never deleted there); default off. */
        pushTrash: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
