import { promises as fsp } from "node:fs";
import { z } from "zod";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import { s3RemoteSchema } from "./s3-settings.ts";

export const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * How a remote is pushed to. "auto": the git CLI when it is on PATH (delta-compressed packs,
 * ssh), isomorphic-git for http(s) otherwise. "isomorphic-git" only speaks http(s).
 */
export const transportSchema = z.enum(["auto", "git", "isomorphic-git"]);
export type Transport = z.infer<typeof transportSchema>;

export const remoteSchema = z
  .object({
    name: z.string().regex(REMOTE_NAME, "letters, digits, '.', '_' or '-'"),
    url: z.string().min(1).max(2000),
    transport: transportSchema.default("auto"),
    /** Environment variable holding the token (preferred over the token file when set). */
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** User name sent with the token (HTTP Basic); GitHub wants "x-access-token", most servers accept any. */
    username: z.string().min(1).max(200).default("x-access-token"),
    /** Connection settings of an s3:// remote (endpoint, region, path style, object lock). */
    s3: s3RemoteSchema.optional(),
    addedAt: z.string(),
  })
  .strict();
export type Remote = z.infer<typeof remoteSchema>;

const remotesFileSchema = z.object({ version: z.literal(1), remotes: z.array(remoteSchema) }).strict();

export const pushRecordSchema = z
  .object({
    time: z.string(),
    ok: z.boolean(),
    transport: z.string().optional(),
    /** Refs the push created or moved. */
    updated: z.number().int().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .strict();
export type PushRecord = z.infer<typeof pushRecordSchema>;

const stateFileSchema = z
  .object({ version: z.literal(1), remotes: z.record(z.string(), pushRecordSchema) })
  .strict();

async function readJson(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfvaultError("SETTINGS_INVALID", `${file} is not valid JSON`, `fix or remove ${file}`);
  }
}

function invalid(file: string, error: z.ZodError): ConfvaultError {
  const problems = error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`);
  return new ConfvaultError(
    "SETTINGS_INVALID",
    `${file} is invalid: ${problems.join("; ")}`,
    `fix ${file}, or remove the remote and add it again`,
    { problems },
  );
}

/** `<home>/remotes.json`; an absent file means no remotes. */
/** A remote's name as `remote add` accepts it (BAD_INPUT otherwise); `example` goes into the hint. */
export function checkRemoteName(name: string, example: string): void {
  if (!REMOTE_NAME.test(name)) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `'${name}' is not a remote name`,
      `use letters, digits, '.', '_' or '-' (e.g. ${example})`,
    );
  }
}

/** CONFLICT when `name` is taken already. */
export function checkNewRemote(remotes: readonly Remote[], name: string): void {
  if (remotes.some((r) => r.name === name)) {
    throw new ConfvaultError(
      "CONFLICT",
      `remote ${name} already exists`,
      `remove it first: confvault remote remove ${name}`,
    );
  }
}

export async function readRemotes(file: string): Promise<Remote[]> {
  const raw = await readJson(file);
  if (raw === undefined) return [];
  const parsed = remotesFileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(file, parsed.error);
  return parsed.data.remotes;
}

export async function writeRemotes(file: string, remotes: Remote[]): Promise<void> {
  const body = { version: 1, remotes };
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`), {
    mode: 0o644,
  });
}

/** `<home>/state/remotes.json`: the last push per remote. */
export async function readPushRecords(file: string): Promise<Record<string, PushRecord>> {
  const raw = await readJson(file);
  if (raw === undefined) return {};
  const parsed = stateFileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(file, parsed.error);
  return parsed.data.remotes;
}

/** Records (or, with `null`, forgets) one remote's last push; other remotes' records are kept. */
export async function recordPush(file: string, name: string, record: PushRecord | null): Promise<void> {
  const all = await readPushRecords(file).catch(() => ({}) as Record<string, PushRecord>);
  if (record === null) delete all[name];
  else all[name] = record;
  await writeFileAtomic(
    file,
    new TextEncoder().encode(`${JSON.stringify({ version: 1, remotes: all }, null, 2)}\n`),
    { mode: 0o644 },
  );
}
