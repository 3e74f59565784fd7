import { z } from "zod";
import { ConfvaultError } from "../errors/confvault-error.ts";

/**
 * The connection settings of an S3-compatible remote (AWS S3, MinIO, Backblaze B2, Wasabi,
 * DigitalOcean Spaces, GCS interoperability), kept in remotes.json beside the URL. Never a
 * credential: those come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a 0600 file.
 */
export const s3RemoteSchema = z
  .object({
    /** Service endpoint, e.g. https://s3.eu-central-003.backblazeb2.com; absent: AWS. */
    endpoint: z.string().url().optional(),
    region: z.string().min(1).max(100).default("us-east-1"),
    /** Path-style addressing (http://host/bucket/key), which MinIO-like servers need. */
    pathStyle: z.boolean().default(false),
    /**
     * After this many bundles in the index, a push writes one fresh complete bundle instead of
     * an increment and the new index lists only it, so a recover downloads at most this many
     * bundles. The older bundles stay in the bucket (expire them with a lifecycle rule). 0: never.
     */
    fullBundleAfter: z.number().int().min(0).max(100_000).default(50),
    /** Object lock on every object written (store must have object lock enabled on the bucket). */
    objectLock: z
      .object({ mode: z.enum(["GOVERNANCE", "COMPLIANCE"]), days: z.number().int().min(1).max(36500) })
      .strict()
      .optional(),
  })
  .strict();
export type S3RemoteSettings = z.infer<typeof s3RemoteSchema>;

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash ("" for the bucket's root). */
  prefix: string;
}

export function isS3Url(url: string): boolean {
  return /^s3:\/\//i.test(url);
}

/** `s3://bucket/some/prefix` → bucket and prefix. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/?#]+)\/?([^?#]*)$/i.exec(url);
  const bucket = m?.[1] ?? "";
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("@")) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `${url} is not an s3://bucket/prefix URL`,
      "give a URL like s3://my-bucket/confvault/node1 (bucket names are lower case letters, digits, '.' and '-')",
      { url },
    );
  }
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix.split("/").some((p) => p === "." || p === "..")) {
    throw new ConfvaultError(
      "BAD_INPUT",
      `${url}: the prefix may not hold '.' or '..'`,
      "e.g. s3://bucket/confvault",
    );
  }
  return { bucket, prefix };
}
