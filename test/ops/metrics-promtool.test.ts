import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cli, ROOT, TEST_KEY, tempDir } from "../helpers/temp-home.ts";

const run = promisify(execFile);
const promtool = await run("promtool", ["--version"]).then(
  () => true,
  () => false,
);
const maybe = promtool ? test : test.skip;
if (!promtool)
  console.log("promtool (Debian package prometheus) is not installed: metrics checks are skipped");

/** promtool's verdict on a metrics exposition: exit code and what it printed. */
async function checkMetrics(text: string): Promise<{ code: number; output: string }> {
  return await new Promise((resolve) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
    child.stdin.end(text);
  });
}

/** A real `confvault serve` on a fresh home of `profile`, with one apply made through the CLI. */
async function scrape(profile: string, config: string): Promise<string> {
  const base = await tempDir();
  const env = { CONFVAULT_HOME: path.join(base, "home"), CONFVAULT_ACTIVATION_KEY: TEST_KEY };
  const init = await cli(
    ["init", "--profile", profile, "--live-root", path.join(base, "live"), "--node", "n1"],
    env,
  );
  assert.is(init.code, 0, init.stderr);
  const applied = await cli(["apply", config, "-m", "first"], env);
  assert.is(applied.code, 0, applied.stderr);
  const server = spawn(
    process.execPath,
    [path.join(ROOT, "bin/confvault.js"), "serve", "--port", "0", "--json"],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, CONFVAULT_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (d) => {
        out += d;
        const m = /"url":\s*"([^"]+)"/.exec(out);
        if (m) resolve(m[1]!);
      });
      server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
    });
    const res = await fetch(`${url}/metrics`);
    assert.is(res.status, 200);
    return await res.text();
  } finally {
    server.kill("SIGTERM");
  }
}

maybe(
  "promtool check metrics accepts the real /metrics output, CLI applies counted from the repository",
  async () => {
    const text = await scrape("safesquid", path.join(ROOT, "templates/sample/safesquid-config.xml"));
    const verdict = await checkMetrics(text);
    assert.is(verdict.code, 0, verdict.output);
    assert.is(verdict.output.trim(), "");
    assert.match(text, /^confvault_restore_points\{source="apply"\} 1$/m);
    assert.not.match(text, /^nodejs_active_handles_total/m);
    assert.match(text, /^nodejs_active_handles\{/m);
  },
);

maybe("a home without a certificate exports no certificate-expiry series (not 0)", async () => {
  const base = await tempDir();
  const file = path.join(base, "c.xml");
  await import("node:fs/promises").then((f) => f.writeFile(file, "<appliance><a>1</a></appliance>\n"));
  const text = await scrape("generic", file);
  assert.not.match(text, /^confvault_certificate_expiry_timestamp_seconds[{ ]/m);
  assert.is((await checkMetrics(text)).code, 0);
});

maybe("promtool check rules accepts the shipped Prometheus alert rules", async () => {
  const { stdout } = await run("promtool", [
    "check",
    "rules",
    path.join(ROOT, "templates/alerts/confvault.rules.yml"),
  ]);
  assert.match(stdout, /SUCCESS: \d+ rules found/);
});

test.run();
