import cron from "node-cron";
import { z } from "zod";

/** A node-cron expression (5 fields, or 6 with seconds), checked with node-cron's own parser; null disables the job. */
const cronExpression = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const detail = cron.validateDetailed(value);
    if (!detail.valid) {
      const why = detail.errors.map((e) => e.message).join("; ") || "not a cron expression";
      ctx.addIssue({
        code: "custom",
        message: `invalid cron expression ${JSON.stringify(value)}: ${why} (use 5 fields "m h dom mon dow", or 6 with seconds first; times are UTC)`,
      });
    }
  });

const job = (fallback: string) => cronExpression.nullable().default(fallback);

export const DEFAULT_SCHEDULES = {
  capture: "*/5 * * * *",
  push: "0 * * * *",
  drill: "30 3 * * *",
  maintenance: "0 4 * * *",
  prune: "30 4 * * *",
  alerts: "* * * * *",
} as const;

/** Backup operations the serve process runs (UTC). Each job can be switched off with null. */
export const schedulesSchema = z
  .object({
    capture: job(DEFAULT_SCHEDULES.capture),
    push: job(DEFAULT_SCHEDULES.push),
    drill: job(DEFAULT_SCHEDULES.drill),
    maintenance: job(DEFAULT_SCHEDULES.maintenance),
    prune: job(DEFAULT_SCHEDULES.prune),
    /** Alert evaluation tick. */
    alerts: job(DEFAULT_SCHEDULES.alerts),
    /** Restore points the daily drill restores: the newest plus a random sample of this many. */
    drillSample: z.number().int().min(0).max(100_000).default(5),
    /** Retention the scheduled prune applies (restic-style keep rules; named points are always kept). */
    retention: z
      .object({
        keepLast: z.number().int().min(0).default(10),
        keepHourly: z.number().int().min(0).default(24),
        keepDaily: z.number().int().min(0).default(7),
        keepWeekly: z.number().int().min(0).default(4),
        keepMonthly: z.number().int().min(0).default(12),
        keepYearly: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const webhookSchema = z
  .object({
    url: z.url(),
    format: z.enum(["generic", "slack"]).default("generic"),
  })
  .strict();

/** Notification webhooks and thresholds (see src/ops/alert-rules.ts). */
export const alertsSchema = z
  .object({
    webhooks: z.array(webhookSchema).default([]),
    nodeBehindMinutes: z.number().min(0).max(10_080).default(15),
    pushStaleHours: z.number().min(0).max(8_760).default(6),
    captureStaleHours: z.number().min(0).max(8_760).default(24),
    certificateDays: z.number().int().min(1).max(3_650).default(30),
    /** Delivery attempts after the first, with exponential backoff from retryBaseMs. */
    retries: z.number().int().min(0).max(20).default(4),
    retryBaseMs: z.number().int().min(1).max(600_000).default(2_000),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .prefault({});

export type ScheduleSettings = z.infer<typeof schedulesSchema>;
export type AlertSettings = z.infer<typeof alertsSchema>;

/** SMTP delivery of the status report (src/ops/report-mail.ts). */
export const smtpSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65_535).default(587),
    /** Implicit TLS from the first byte (port 465); otherwise STARTTLS. */
    secure: z.boolean().default(false),
    /** Refuse to send when the server does not offer STARTTLS (ignored with secure). */
    requireTLS: z.boolean().default(true),
    /** JSON `{"user": "...", "pass": "..."}`, mode 0600, path relative to the home; no auth when unset. */
    credentialFile: z.string().min(1).optional(),
    /** PEM CA (or the server's own self-signed certificate) to trust, relative to the home. */
    caFile: z.string().min(1).optional(),
    timeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  })
  .strict()
  .prefault({});

/** The `status --report` content as weekly and monthly e-mails. */
export const reportsSchema = z
  .object({
    to: z.array(z.email()).default([]),
    from: z.email().optional(),
    weekly: job("0 6 * * 1"),
    monthly: job("0 6 1 * *"),
    smtp: smtpSchema,
  })
  .strict()
  .prefault({});

export type ReportSettings = z.infer<typeof reportsSchema>;
