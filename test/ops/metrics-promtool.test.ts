import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { nodeHealth, nodeStaleAfterMs } from "../../src/sync/master-sync.ts";
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

type Env = Record<string, string>;

/**
 * A real `confvault serve` on a fresh home of `profile`, with one apply made through the CLI;
 * `prepare` runs more CLI commands (or writes state) before serve starts.
 */
async function scrape(
  profile: string,
  config: string,
  options: { init?: string[]; prepare?: (env: Env, home: string) => Promise<void> } = {},
): Promise<string> {
  const base = await tempDir();
  const env = { CONFVAULT_HOME: path.join(base, "home"), CONFVAULT_ACTIVATION_KEY: TEST_KEY };
  const init = await cli(
    [
      "init",
      "--profile",
      profile,
      "--live-root",
      path.join(base, "live"),
      "--node",
      "n1",
      ...(options.init ?? []),
    ],
    env,
  );
  assert.is(init.code, 0, init.stderr);
  const applied = await cli(["apply", config, "-m", "first"], env);
  assert.is(applied.code, 0, applied.stderr);
  await options.prepare?.(env, env.CONFVAULT_HOME);
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
    // Counted from main's history: the CLI apply made before serve started is there.
    assert.match(text, /^# TYPE confvault_applies_total counter$/m);
    assert.match(text, /^confvault_applies_total\{source="apply"\} 1$/m);
    assert.match(text, /^confvault_restores_total 0$/m);
    // A standalone home has no slaves: no per-node series at all (not "healthy 0").
    assert.not.match(text, /^confvault_node_(healthy|last_contact_timestamp_seconds)[{ ]/m);
    assert.not.match(text, /^confvault_remote_last_push_ok[{ ]/m, "no remote, no series");
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

maybe(
  "CLI restores count from history; a dead slave is unhealthy with an old last contact; a failing remote is labelled",
  async () => {
    const sample = path.join(ROOT, "templates/sample/safesquid-config.xml");
    const contactOf = (text: string, node: string) =>
      Number(
        new RegExp(`^confvault_node_last_contact_timestamp_seconds\\{node="${node}"\\} (\\S+)$`, "m").exec(
          text,
        )?.[1],
      );
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const text = await scrape("safesquid", sample, {
      init: ["--role", "master", "--cluster", "c1", "--no-tls"],
      async prepare(env, home) {
        const fsp = await import("node:fs/promises");
        // A second apply and a CLI rollback: the history has 2 applies and 1 restore.
        const second = path.join(home, "..", "second.xml");
        const bytes = await fsp.readFile(sample, "utf8");
        await fsp.writeFile(second, bytes.replace("</", "<!-- second --></"));
        assert.is((await cli(["apply", second, "-m", "second"], env)).code, 0);
        const rolled = await cli(["rollback", "-m", "undo second"], env);
        assert.is(rolled.code, 0, rolled.stderr);
        // A remote that works and one whose URL leads nowhere, both pushed through the CLI.
        const good = path.join(home, "..", "good.git");
        await run("git", ["init", "--quiet", "--bare", good]);
        assert.is((await cli(["remote", "add", "good", good], env)).code, 0);
        assert.is((await cli(["remote", "add", "gone", path.join(home, "..", "nowhere.git")], env)).code, 0);
        await cli(["remote", "push"], env);
        // Two joined slaves, as the master's registry keeps them: one polled just now, one has
        // been silent for an hour (lag 0, last apply ok: only its contact time gives it away).
        const node = (name: string, lastContact: string) => ({
          name,
          url: `http://127.0.0.1:1/${name}`,
          recipient: "age1placeholder",
          tokenHash: "0".repeat(64),
          joinedAt: hourAgo,
          lastContact,
          reachable: true,
          lastResult: { commit: "a".repeat(40), sequence: 1, ok: true, at: hourAgo },
        });
        await fsp.writeFile(
          path.join(home, "state", "cluster-nodes.json"),
          JSON.stringify([node("alive", new Date().toISOString()), node("dead", hourAgo)]),
        );
      },
    });
    const verdict = await checkMetrics(text);
    assert.is(verdict.code, 0, verdict.output);
    assert.match(text, /^confvault_applies_total\{source="apply"\} 2$/m);
    assert.match(text, /^confvault_restores_total 1$/m);
    // A rollback is source "restore" (or "rollback", where the core names it so): a restore either way.
    assert.match(text, /^confvault_restore_points\{source="(restore|rollback)"\} 1$/m);
    assert.not.match(text, /^confvault_applies_total\{source="(restore|rollback)"\}/m);
    assert.match(text, /^confvault_node_healthy\{node="alive"\} 1$/m);
    assert.match(text, /^confvault_node_healthy\{node="dead"\} 0$/m);
    assert.ok(Math.abs(contactOf(text, "dead") - Date.parse(hourAgo) / 1000) < 1, text);
    assert.ok(Date.now() / 1000 - contactOf(text, "alive") < 60);
    assert.match(text, /^confvault_remote_last_push_ok\{remote="good"\} 1$/m);
    assert.match(text, /^confvault_remote_last_push_ok\{remote="gone"\} 0$/m);
    assert.match(text, /^confvault_remote_failing_since_timestamp_seconds\{remote="gone"\} \d/m);
    assert.not.match(text, /^confvault_remote_failing_since_timestamp_seconds\{remote="good"\}/m);
  },
);

test("a slave is unhealthy after 3 poll intervals of silence, a failed push or a failed apply", () => {
  // Default poll: every minute plus up to 20 s of jitter → 3 × 80 s.
  assert.is(nodeStaleAfterMs({ pollSchedule: "0 * * * * *", pollJitterMs: 20_000 }), 240_000);
  assert.is(nodeStaleAfterMs({ pollSchedule: "*/5 * * * *", pollJitterMs: 0 }), 900_000);
  const now = Date.parse("2026-12-01T12:00:00Z");
  const base = {
    name: "s1",
    url: "http://s1",
    recipient: "age1x",
    tokenHash: "0",
    joinedAt: "2026-12-01T10:00:00Z",
  };
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  assert.equal(nodeHealth({ ...base, lastContact: at(3) }, now, 240_000), {
    node: "s1",
    lastContact: (now - 180_000) / 1000,
    healthy: true,
  });
  assert.is(nodeHealth({ ...base, lastContact: at(5) }, now, 240_000).healthy, false);
  // Never heard from since the join: the join is its last contact.
  assert.is(nodeHealth(base, now, 240_000).lastContact, Date.parse(base.joinedAt) / 1000);
  assert.is(nodeHealth(base, now, 240_000).healthy, false);
  assert.is(nodeHealth({ ...base, lastContact: at(1), reachable: false }, now, 240_000).healthy, false);
  const failed = { commit: "a".repeat(40), sequence: 2, ok: false, at: at(1) };
  assert.is(nodeHealth({ ...base, lastContact: at(1), lastResult: failed }, now, 240_000).healthy, false);
});

maybe("promtool check rules accepts the shipped Prometheus alert rules", async () => {
  const { stdout } = await run("promtool", [
    "check",
    "rules",
    path.join(ROOT, "templates/alerts/confvault.rules.yml"),
  ]);
  assert.match(stdout, /SUCCESS: \d+ rules found/);
});

maybe(
  "promtool test rules: a dead or silent slave and a failing remote fire, healthy ones do not",
  async () => {
    const { stdout } = await run("promtool", [
      "test",
      "rules",
      path.join(ROOT, "test/ops/confvault.rules.test.yml"),
    ]);
    assert.match(stdout, /SUCCESS/);
  },
);

test.run();
