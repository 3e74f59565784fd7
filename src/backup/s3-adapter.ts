import { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { S3Location, S3RemoteSettings } from "./s3-settings.ts";

/**
 * The little an S3-compatible remote needs from object storage, behind one interface so the
 * push, recover and verify logic never touches the SDK. Keys are relative to the remote's prefix.
 */
export interface ObjectStore {
  /** Human name for messages: s3://bucket/prefix. */
  readonly where: string;
  /** Every key under `dir/` (relative to the prefix), in the store's (lexicographic) order. */
  list(dir: string): Promise<string[]>;
  /** The object's bytes; NOT_FOUND when absent. */
  get(key: string): Promise<Uint8Array>;
  /**
   * Writes a new object with `If-None-Match: *`: false (nothing written) when the key already
   * exists and the store enforces the condition. Never overwrites on a store that honours it.
   */
  putNew(key: string, body: Uint8Array, options?: { contentType?: string }): Promise<boolean>;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** `<home>/remotes/NAME.s3-credentials` (mode 0600; JSON {accessKeyId, secretAccessKey}). */
export function s3CredentialsFile(tokensDir: string, name: string): string {
  return path.join(tokensDir, `${name}.s3-credentials`);
}

/** Parses "KEY_ID SECRET" / "KEY_ID:SECRET" / two lines / the JSON form. */
export function parseS3Credentials(text: string): S3Credentials {
  const t = text.trim();
  if (t.startsWith("{")) {
    const j = JSON.parse(t) as Partial<S3Credentials>;
    if (typeof j.accessKeyId === "string" && typeof j.secretAccessKey === "string")
      return { accessKeyId: j.accessKeyId, secretAccessKey: j.secretAccessKey };
  } else {
    const parts = t.split(/[\s:]+/).filter(Boolean);
    if (parts.length === 2) return { accessKeyId: parts[0]!, secretAccessKey: parts[1]! };
  }
  throw new ConfvaultError(
    "BAD_INPUT",
    "the S3 credentials are not 'ACCESS_KEY_ID SECRET_ACCESS_KEY'",
    "pass the access key id and the secret on one line, separated by a space or ':'",
  );
}

export async function writeS3Credentials(
  tokensDir: string,
  name: string,
  creds: S3Credentials,
): Promise<string> {
  await fsp.mkdir(tokensDir, { recursive: true, mode: 0o700 });
  const file = s3CredentialsFile(tokensDir, name);
  const body = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(body)}\n`), { mode: 0o600 });
  await fsp.chmod(file, 0o600);
  return file;
}

/**
 * Credentials for an S3 remote: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)
 * from the environment first, else the remote's 0600 credential file; a file readable by others
 * is refused.
 */
export async function resolveS3Credentials(
  env: Record<string, string | undefined>,
  file: string | undefined,
): Promise<S3Credentials> {
  const id = env.AWS_ACCESS_KEY_ID?.trim();
  const secret = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (id && secret) {
    const session = env.AWS_SESSION_TOKEN?.trim();
    return { accessKeyId: id, secretAccessKey: secret, ...(session ? { sessionToken: session } : {}) };
  }
  if (file) {
    const text = await fsp.readFile(file, "utf8").catch(() => undefined);
    if (text !== undefined) {
      const st = await fsp.stat(file);
      if ((st.mode & 0o077) !== 0) {
        throw new ConfvaultError(
          "REMOTE_FAILED",
          `credential file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)})`,
          `run: chmod 600 ${file}`,
        );
      }
      return parseS3Credentials(text);
    }
  }
  throw new ConfvaultError(
    "REMOTE_FAILED",
    "no S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set and the remote has no credential file",
    "export AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…, or re-add the remote with --credentials-stdin",
  );
}

function storeError(where: string, what: string, err: unknown): ConfvaultError {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const denied = status === 401 || status === 403 || e.name === "AccessDenied";
  return new ConfvaultError(
    "REMOTE_FAILED",
    `${what} ${where} failed: ${e.name ?? "error"}${status ? ` (HTTP ${status})` : ""}: ${e.message ?? String(err)}`,
    denied
      ? "check the access key and secret (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the credential file) and the bucket policy"
      : "check --endpoint, --region, --path-style and that the bucket exists",
    { where, status, name: e.name },
    err,
  );
}

/**
 * An ObjectStore on `@aws-sdk/client-s3` (loaded on first use, so git-only commands never load
 * the SDK). Checksums are only sent where S3 requires them, which keeps third-party stores that
 * lack the newer flexible-checksum headers working.
 */
export async function createS3Store(options: {
  location: S3Location;
  settings: S3RemoteSettings;
  credentials: S3Credentials;
  now?: () => Date;
}): Promise<ObjectStore> {
  // The SDK warns on every Node 20 process about its future Node 22 floor; the version is pinned.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const loaded = await import("@aws-sdk/client-s3");
  // Bundled into ES modules (dist/), the CommonJS SDK arrives as the namespace's default export.
  const sdk = (
    "S3Client" in loaded ? loaded : (loaded as { default: typeof loaded }).default
  ) as typeof loaded;
  const { location, settings } = options;
  const now = options.now ?? (() => new Date());
  const client = new sdk.S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.pathStyle,
    credentials: options.credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 4,
  });
  const where = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}`;
  const full = (key: string) => (location.prefix ? `${location.prefix}/${key}` : key);
  return {
    where,
    async list(dir) {
      const keys: string[] = [];
      const prefix = full(`${dir.replace(/\/+$/, "")}/`);
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new sdk.ListObjectsV2Command({
              Bucket: location.bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
          for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(full("").length));
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        throw storeError(where, "listing", err);
      }
      return keys;
    },
    async get(key) {
      try {
        const r = await client.send(new sdk.GetObjectCommand({ Bucket: location.bucket, Key: full(key) }));
        return await r.Body!.transformToByteArray();
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404) {
          throw new ConfvaultError(
            "NOT_FOUND",
            `${where}/${key} does not exist`,
            "run `confvault verify --remote NAME`",
            {
              key,
            },
          );
        }
        throw storeError(where, `reading ${key} from`, err);
      }
    },
    async putNew(key, body, opts = {}) {
      const lock = settings.objectLock;
      try {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: location.bucket,
            Key: full(key),
            Body: body,
            ContentLength: body.length,
            ContentType: opts.contentType ?? "application/octet-stream",
            IfNoneMatch: "*",
            ...(lock
              ? {
                  ObjectLockMode: lock.mode,
                  ObjectLockRetainUntilDate: new Date(now().getTime() + lock.days * 86_400_000),
                  // Object lock needs an integrity checksum on the request.
                  ChecksumAlgorithm: "CRC32",
                }
              : {}),
          }),
        );
        return true;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 412: the key exists; 409: a concurrent conditional write of the same key is in flight.
        if (status === 412 || status === 409 || (err as { name?: string }).name === "PreconditionFailed")
          return false;
        throw storeError(where, `writing ${key} to`, err);
      }
    },
  };
}

/** The store of a registered s3:// remote, with its credentials resolved (env, then the 0600 file). */
export async function openRemoteStore(options: {
  url: string;
  name: string;
  settings: S3RemoteSettings | undefined;
  tokensDir: string | undefined;
  env: Record<string, string | undefined>;
  now?: () => Date;
}): Promise<ObjectStore> {
  const { parseS3Url, s3RemoteSchema } = await import("./s3-settings.ts");
  const location = parseS3Url(options.url);
  const settings = options.settings ?? s3RemoteSchema.parse({});
  const credentials = await resolveS3Credentials(
    options.env,
    options.tokensDir ? s3CredentialsFile(options.tokensDir, options.name) : undefined,
  );
  return await createS3Store({
    location,
    settings,
    credentials,
    ...(options.now ? { now: options.now } : {}),
  });
}
