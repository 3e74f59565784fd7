import { z } from "zod";

const pathList = z.array(z.string().min(1).max(300).regex(/^(\/\/)?[^/\s]+(\/[^/\s]+)*$/, "an element path like a/b or //a/b"));

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
      .object({ config: z.string().min(1).optional(), cert: z.string().min(1).optional(), key: z.string().min(1).optional() })
      .strict()
      .default({}),
    localSections: z.object({ add: pathList.default([]), remove: pathList.default([]) }).strict().default({ add: [], remove: [] }),
    secretPaths: z.object({ add: pathList.default([]), remove: pathList.default([]) }).strict().default({ add: [], remove: [] }),
    volatilePaths: z.object({ add: pathList.default([]), remove: pathList.default([]) }).strict().default({ add: [], remove: [] }),
    master: z.url().optional(),
    keyFile: z.string().min(1).optional(),
    hooks: z.object({ timeoutMs: z.number().int().min(100).max(600_000).default(30_000) }).strict().default({ timeoutMs: 30_000 }),
    server: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8740),
        bodyLimit: z.number().int().min(1024).default(32 * 1024 * 1024),
      })
      .strict()
      .default({ host: "127.0.0.1", port: 8740, bodyLimit: 32 * 1024 * 1024 }),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;
