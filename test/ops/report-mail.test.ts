import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { selfSignedCertificate } from "../../src/cli/self-signed-certificate.ts";
import { evaluateRules } from "../../src/ops/alert-rules.ts";
import type { OpsFacts } from "../../src/ops/ops-facts.ts";
import { alertsSchema } from "../../src/ops/ops-settings.ts";
import { reportHtml } from "../../src/ops/report-mail.ts";
import { cli, cliError, enc, ROOT, type TempHome, tempDir, tempHome } from "../helpers/temp-home.ts";

// Issue 14 item 4: the status report as an e-mail, through a real SMTP server process on
// 127.0.0.1 (smtp-server) with STARTTLS and AUTH, parsed back with mailparser.
const test = suite("report e-mail");

let receiver: ChildProcess | undefined;
let port = 0;
let inbox = "";
let h: TempHome;
const pair = selfSignedCertificate("localhost", 2, { altNames: ["127.0.0.1", "localhost"] });

test.before(async () => {
  h = await tempHome();
  await applyConfig({
    ctx: h.ctx,
    config: enc(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8")),
    reason: "first",
    actor: "t",
  });
  if (!pair) return;
  inbox = await tempDir("confvault-inbox-");
  await fsp.writeFile(path.join(inbox, "cert.pem"), pair.cert);
  await fsp.writeFile(path.join(inbox, "key.pem"), pair.key);
  receiver = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "test/ops/smtp-receiver.ts"),
      inbox,
      path.join(inbox, "cert.pem"),
      path.join(inbox, "key.pem"),
      "reports",
      "s3cret-pass",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
  );
  port = await new Promise<number>((resolve, reject) => {
    receiver!.stdout!.on("data", (d: Buffer) => {
      const m = /ready (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    receiver!.once("exit", (code) => reject(new Error(`smtp receiver exited ${code}`)));
  });
  await fsp.writeFile(path.join(h.dir, "smtp-ca.pem"), pair.cert);
});

test.after(async () => {
  receiver?.kill("SIGTERM");
  await h.cleanup();
  if (inbox) await fsp.rm(inbox, { recursive: true, force: true });
});

async function setReports(reports: unknown) {
  const settings = JSON.parse(await fsp.readFile(h.ctx.layout.settings, "utf8"));
  settings.reports = reports;
  await fsp.writeFile(h.ctx.layout.settings, JSON.stringify(settings, null, 2));
}

const smtp = () => ({ host: "127.0.0.1", port, caFile: "smtp-ca.pem", credentialFile: "smtp.json" });

test("report send --now delivers the weekly report over STARTTLS with auth; HTML and text parse back", async () => {
  if (!pair) return console.log("  (skipped: no openssl for the SMTP server's certificate)");
  await fsp.writeFile(
    path.join(h.dir, "smtp.json"),
    JSON.stringify({ user: "reports", pass: "s3cret-pass" }),
    {
      mode: 0o600,
    },
  );
  await setReports({
    to: ["ops@example.com", "audit@example.com"],
    from: "confvault@example.com",
    smtp: smtp(),
  });
  const r = await cli(["--home", h.dir, "--json", "report", "send", "--now", "--period", "weekly"], h.env);
  assert.is(r.code, 0, r.stderr);
  const sent = JSON.parse(r.stdout);
  assert.equal(sent.accepted.sort(), ["audit@example.com", "ops@example.com"]);

  const files = (await fsp.readdir(inbox)).filter((f) => f.endsWith(".eml"));
  assert.is(files.length, 1);
  const meta = JSON.parse(await fsp.readFile(path.join(inbox, `${files[0]}.json`), "utf8"));
  assert.is(meta.secure, true, "the message went over STARTTLS");
  assert.is(meta.user, "reports");
  const mail = await simpleParser(await fsp.readFile(path.join(inbox, files[0]!)));
  assert.match(mail.subject ?? "", /^\[confvault\] weekly report — node1 \(test\)/);
  assert.is(mail.from?.value[0]?.address, "confvault@example.com");
  assert.match(mail.text ?? "", /## Last 7 days/);
  assert.match(mail.text ?? "", /restore points made: 1 \(apply 1\)/);
  assert.match(mail.text ?? "", /## Repository/);
  const html = typeof mail.html === "string" ? mail.html : "";
  assert.match(html, /<h2>Schedules<\/h2>/);
  assert.match(html, /<table[^>]*>\s*<tr><th align="left">job<\/th>/);
  assert.not.match(html, /\|---/, "no markdown table syntax in the HTML part");
});

test("a wrong password is REPORT_FAILED with the server's answer; a credential file others can read is refused", async () => {
  if (!pair) return console.log("  (skipped: no openssl)");
  await fsp.writeFile(path.join(h.dir, "smtp.json"), JSON.stringify({ user: "reports", pass: "wrong" }), {
    mode: 0o600,
  });
  await setReports({ to: ["ops@example.com"], smtp: smtp() });
  const bad = await cli(["--home", h.dir, "--json", "report", "send", "--now"], h.env);
  assert.is(bad.code, 1, bad.stderr);
  const err = cliError(bad);
  assert.is(err.code, "REPORT_FAILED");
  assert.match(err.message, /535/);

  await fsp.chmod(path.join(h.dir, "smtp.json"), 0o644);
  const open = await cli(["--home", h.dir, "--json", "report", "send", "--now"], h.env);
  assert.is(cliError(open).code, "SETTINGS_INVALID");
  assert.match(open.stderr, /chmod 600/);

  await setReports({ to: [], smtp: smtp() });
  const none = await cli(["--home", h.dir, "--json", "report", "send", "--now"], h.env);
  assert.is(cliError(none).code, "BAD_USAGE");
});

test("a failed scheduled report raises an alert like any failed job", () => {
  const failed = {
    cron: "0 6 * * 1",
    since: "2026-11-01T00:00:00.000Z",
    runs: { ok: 0, error: 1, skipped: 0 },
    missed: 0,
    lastRun: {
      scheduledFor: "2026-11-30T06:00:00.000Z",
      startedAt: "2026-11-30T06:00:00.010Z",
      finishedAt: "2026-11-30T06:00:01.000Z",
      durationMs: 990,
      result: "error" as const,
      error: "535 authentication failed",
    },
  };
  const facts = {
    now: "2026-11-30T07:00:00.000Z",
    latestRestorePoint: null,
    restorePoints: 0,
    restorePointsBySource: {},
    remotes: [],
    drills: { version: 1, points: {}, runs: [], lastSuccess: null, lastFailure: null },
    schedules: { version: 1, jobs: { "report-weekly": failed } },
    certificate: null,
    bundleBytes: null,
    sync: null,
  } as unknown as OpsFacts;
  const incidents = evaluateRules(facts, alertsSchema.parse({}));
  const report = incidents.find((i) => i.kind === "report-failed");
  assert.ok(report, JSON.stringify(incidents));
  assert.match(report!.summary, /535 authentication failed/);
});

test("the HTML part escapes every value", () => {
  const html = reportHtml("# a <b>\n\n| x |\n|---|\n| <script>alert(1)</script> |\n\n- `c&d`");
  assert.not.match(html, /<script>/);
  assert.match(html, /&lt;script&gt;/);
  assert.match(html, /<code>c&amp;d<\/code>/);
});

test.run();
