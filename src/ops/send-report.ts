import { promises as fsp } from "node:fs";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseTrailers } from "../core/commit-message.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { buildOpsReport } from "./ops-report.ts";
import type { ReportSettings } from "./ops-settings.ts";
import { type PeriodFacts, type ReportPeriod, renderReportMail } from "./report-mail.ts";

export interface SendReportResult {
  period: ReportPeriod;
  to: string[];
  subject: string;
  messageId: string;
  accepted: string[];
}

/** The part of nodemailer's transport this needs (passed in by tests or left to nodemailer). */
export interface MailTransport {
  sendMail(message: {
    from: string;
    to: string[];
    subject: string;
    text: string;
    html: string;
  }): Promise<{ messageId: string; accepted: Array<string | { address: string }> }>;
  close(): void;
}

export type CreateTransport = (options: Record<string, unknown>) => MailTransport;

async function readCredentials(file: string): Promise<{ user: string; pass: string }> {
  let stat: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    stat = await fsp.stat(file);
  } catch {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `the SMTP credential file ${path.basename(file)} does not exist`,
      'write {"user": "...", "pass": "..."} there with mode 0600, or unset reports.smtp.credentialFile',
    );
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `the SMTP credential file ${path.basename(file)} is readable by others (mode ${(stat.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}`,
    );
  }
  try {
    const parsed = JSON.parse(await fsp.readFile(file, "utf8")) as { user?: unknown; pass?: unknown };
    if (typeof parsed.user === "string" && typeof parsed.pass === "string")
      return { user: parsed.user, pass: parsed.pass };
  } catch {
    // reported below
  }
  throw new ConfvaultError(
    "SETTINGS_INVALID",
    `the SMTP credential file ${path.basename(file)} is not {"user": "...", "pass": "..."}`,
    "fix the file (JSON with two strings)",
  );
}

/** Restore points made in the last `days`, by source (from the tags, so CLI changes count too). */
async function periodFacts(ctx: HomeContext, days: number): Promise<PeriodFacts> {
  const since = ctx.now().getTime() / 1000 - days * 86_400;
  const tags = (await ctx.engine.listTags("rp/")).filter((t) => t.tagger.timestamp >= since);
  const bySource: Record<string, number> = {};
  for (const t of tags) {
    const source = parseTrailers(t.message).trailers["Confvault-Source"] ?? "unknown";
    bySource[source] = (bySource[source] ?? 0) + 1;
  }
  return { days, restorePoints: tags.length, bySource };
}

/**
 * Sends the weekly or monthly report through SMTP (STARTTLS required unless settings say
 * otherwise, auth from a 0600 credential file). Throws REPORT_FAILED with the server's answer
 * when delivery fails, so the scheduled job records the failure and alerts like any job.
 */
export async function sendReport(
  ctx: HomeContext,
  options: { period: ReportPeriod; createTransport?: CreateTransport },
): Promise<SendReportResult> {
  const settings: ReportSettings = ctx.settings.reports;
  if (settings.to.length === 0) {
    throw new ConfvaultError(
      "BAD_USAGE",
      "no report recipients: settings.reports.to is empty",
      'add e-mail addresses to settings.json "reports": {"to": ["ops@example.com"], "smtp": {"host": "..."}}',
    );
  }
  const smtp = settings.smtp;
  const auth = smtp.credentialFile
    ? await readCredentials(path.resolve(ctx.layout.dir, smtp.credentialFile))
    : undefined;
  const ca = smtp.caFile ? await fsp.readFile(path.resolve(ctx.layout.dir, smtp.caFile), "utf8") : undefined;
  const report = await buildOpsReport(ctx);
  const mail = renderReportMail(
    report,
    options.period,
    await periodFacts(ctx, options.period === "weekly" ? 7 : 30),
  );
  const createTransport =
    options.createTransport ?? ((await import("nodemailer")).createTransport as unknown as CreateTransport);
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.requireTLS,
    ...(auth ? { auth } : {}),
    tls: {
      ...(ca ? { ca } : {}),
      ...(isIP(smtp.host) ? {} : { servername: smtp.host }),
      minVersion: "TLSv1.2",
    },
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
  });
  const from =
    settings.from ??
    `confvault@${
      os
        .hostname()
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, "-") || "localhost"
    }`;
  try {
    const info = await transport.sendMail({
      from,
      to: settings.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
    });
    return {
      period: options.period,
      to: settings.to,
      subject: mail.subject,
      messageId: info.messageId,
      accepted: info.accepted.map((a) => (typeof a === "string" ? a : a.address)),
    };
  } catch (err) {
    const e = err as { message?: string; response?: string; code?: string };
    throw new ConfvaultError(
      "REPORT_FAILED",
      `the ${options.period} report could not be sent via ${smtp.host}:${smtp.port}: ${e.response ?? e.message ?? String(err)}`,
      "check settings.reports.smtp (host, port, STARTTLS, caFile) and the credential file; `confvault report send --now` retries",
      { code: e.code },
    );
  } finally {
    transport.close();
  }
}
