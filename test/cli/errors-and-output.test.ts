import { execFile, spawnSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import net from "node:net";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { RestorePoint } from "../../src/api/types.ts";
import { portNumber } from "../../src/cli/commands/serve.ts";
import {
  alignColumns,
  binaryRefusal,
  closestName,
  colorEnabled,
  jsonForOutput,
  localTimeWithAge,
  logLineAsText,
  looksBinary,
  relativeAge,
  usageMessage,
} from "../../src/cli/output.ts";
import { renderLog } from "../../src/cli/render-log.ts";
import { listenError } from "../../src/cli/start-server.ts";
import { ConfvaultError, type ErrorCode } from "../../src/errors/confvault-error.ts";
import { ERROR_TABLE, errorTableMarkdown } from "../../src/errors/error-table.ts";
import { defaultHintFor, exitCodeFor, httpStatusFor } from "../../src/errors/status-map.ts";
import { errorResponse } from "../../src/server/error-response.ts";
import { makeCert } from "../helpers/make-cert.ts";
import { cli, ROOT, TEST_KEY, tempDir } from "../helpers/temp-home.ts";

const SAMPLE = path.join(ROOT, "templates/sample/safesquid-config.xml");
const BIN = path.join(ROOT, "bin/confvault.js");
const hasScript = spawnSync("script", ["--version"]).status === 0;

const codes = Object.keys(ERROR_TABLE) as ErrorCode[];

test("the README's exit-code table is the error table, row for row", async () => {
  const readme = await fsp.readFile(path.join(ROOT, "README.md"), "utf8");
  const section = /<!-- exit-codes:start[^>]*-->\n([\s\S]*?)\n<!-- exit-codes:end -->/.exec(readme)?.[1];
  assert.ok(section, "README has the generated exit-code table");
  assert.fixture(section, errorTableMarkdown());
  // And parsed back: every code, its exit status and HTTP status as the CLI and server use them.
  const rows = section
    .split("\n")
    .slice(2)
    .map((line) => line.split("|").map((c) => c.trim()));
  assert.equal(
    rows.map((r) => r[1]!.replace(/`/g, "")),
    codes,
  );
  for (const r of rows) {
    const code = r[1]!.replace(/`/g, "") as ErrorCode;
    assert.is(Number(r[2]), exitCodeFor(code), code);
    assert.is(Number(r[3]), httpStatusFor(code), code);
  }
});

test("HTTP answers with the table's status, and its default hint when an error has none", async () => {
  for (const code of ["UNAUTHORIZED", "REF_NOT_FOUND", "TAG_EXISTS", "HOOK_FAILED"] as ErrorCode[]) {
    const res = errorResponse(new ConfvaultError(code, "x"));
    assert.is(res.status, ERROR_TABLE[code].http, code);
    const body = (await res.json()) as { error: { code: string; hint: string } };
    assert.equal(body.error, { code, message: "x", hint: ERROR_TABLE[code].hint });
  }
  const own = (await errorResponse(new ConfvaultError("LOCKED", "x", "own hint")).json()) as {
    error: { hint: string };
  };
  assert.is(own.error.hint, "own hint");
});

test("exit 2 is bad usage or input, 1 a failed operation; every code has a row", () => {
  for (const code of [
    "BAD_USAGE",
    "BAD_INPUT",
    "XML_MALFORMED",
    "XML_ENTITY_LIMIT",
    "XML_EXTERNAL_ENTITY",
    "UNSUPPORTED_ENCODING",
    "BAD_REF_NAME",
    "REF_AMBIGUOUS",
    "REF_NOT_FOUND",
    "TAG_EXISTS",
    "SETTINGS_INVALID",
  ] as ErrorCode[])
    assert.is(exitCodeFor(code), 2, code);
  for (const code of [
    "HOME_NOT_FOUND",
    "HOOK_FAILED",
    "HEALTH_FAILED",
    "LOCKED",
    "PORT_IN_USE",
    "INTERNAL",
  ] as ErrorCode[])
    assert.is(exitCodeFor(code), 1, code);
  for (const code of codes) {
    const row = ERROR_TABLE[code];
    assert.ok(row.exit === 1 || row.exit === 2, code);
    assert.ok(row.http >= 200 && row.http < 600, code);
    assert.ok(row.meaning.length > 0, code);
    assert.ok(row.hint.length > 0, `${code} has a default hint`);
    assert.is(defaultHintFor(code), row.hint);
  }
  assert.is(httpStatusFor("REF_NOT_FOUND"), 404);
  assert.is(httpStatusFor("UNAUTHORIZED"), 401);
  assert.is(exitCodeFor("NO_SUCH_CODE" as ErrorCode), 1, "an unknown code reads as INTERNAL");
});

/** A home with two restore points (the second tagged t2), made through the CLI. */
async function cliHome(): Promise<{ base: string; env: Record<string, string>; cleanup(): Promise<void> }> {
  const base = await tempDir();
  const env = {
    CONFVAULT_HOME: path.join(base, "home"),
    CONFVAULT_ACTIVATION_KEY: TEST_KEY,
    CONFVAULT_ACTOR: "ops",
  };
  const init = await cli(["init", "--live-root", path.join(base, "live"), "--node", "proxy1"], env);
  assert.is(init.code, 0, init.stderr);
  assert.is((await cli(["apply", SAMPLE, "-m", "first import"], env)).code, 0);
  const edited = path.join(base, "edited.xml");
  await fsp.writeFile(
    edited,
    (await fsp.readFile(SAMPLE, "utf8")).replace("<request_timeout>120<", "<request_timeout>90<"),
  );
  const second = await cli(["apply", edited, "-m", "shorter timeouts", "--tag", "t2"], env);
  assert.is(second.code, 0, second.stderr);
  return { base, env, cleanup: () => fsp.rm(base, { recursive: true, force: true }) };
}

/** The human error: `error:` and `hint:` lines, nothing on stdout; the JSON one: one object on stderr. */
async function expectError(
  args: string[],
  env: Record<string, string>,
  code: ErrorCode,
  message?: RegExp,
): Promise<{ message: string; hint: string; data?: Record<string, unknown> }> {
  const human = await cli(args, env);
  const label = `${args.join(" ")} → ${code}`;
  assert.is(human.code, exitCodeFor(code), `${label}: exit\n${human.stderr}`);
  assert.is(human.stdout, "", `${label}: stdout`);
  const all = human.stderr.trimEnd().split("\n");
  const at = all.findIndex((l) => l.startsWith("error: "));
  assert.ok(at >= 0, `${label}: an error line:\n${human.stderr}`);
  // Before it only readable log lines (a hook's warning), never raw JSON.
  for (const l of all.slice(0, at)) assert.match(l, /^(warn|info|error|fatal): /, `${label}: ${l}`);
  const lines = all.slice(at);
  assert.ok(lines.length <= 2, `${label}: at most error + hint lines:\n${human.stderr}`);
  if (lines[1] !== undefined) assert.match(lines[1], /^hint: ./, label);
  assert.not.match(human.stderr, /this is a bug|please report/, label);
  if (message) assert.match(lines[0]!, message, label);
  const json = await cli([...args, "--json"], env);
  assert.is(json.code, exitCodeFor(code), `${label} --json: exit`);
  assert.is(json.stdout, "", `${label} --json: stdout`);
  const errLines = json.stderr.trimEnd().split("\n");
  assert.is(errLines.length, 1, `${label} --json: one line on stderr:\n${json.stderr}`);
  const body = JSON.parse(errLines[0]!);
  assert.equal(Object.keys(body), ["error"], label);
  assert.is(body.error.code, code, label);
  assert.type(body.error.message, "string");
  assert.type(body.error.hint, "string");
  assert.ok(body.error.hint.length > 0, `${label}: a hint`);
  for (const k of Object.keys(body.error)) assert.ok(["code", "message", "hint", "data"].includes(k), k);
  return body.error;
}

test("each error class exits with its table status and prints one error (human: error + hint; --json: one object)", async () => {
  const h = await cliHome();
  try {
    const { env, base } = h;
    await expectError(["aply"], env, "BAD_USAGE", /unknown command 'aply'/);
    await expectError(["log", "--bogus"], env, "BAD_USAGE", /unknown option '--bogus'/);
    await expectError(["apply", SAMPLE], env, "BAD_USAGE", /-m/);
    await expectError(["log", "-n", "zero"], env, "BAD_USAGE", /positive whole number/);
    await expectError(["apply", path.join(base, "missing.xml"), "-m", "x"], env, "BAD_INPUT", /missing\.xml/);
    const bad = path.join(base, "bad.xml");
    await fsp.writeFile(bad, "<safesquid>\n  <access>\n</safesquid>\n");
    await expectError(["apply", bad, "-m", "broken"], env, "XML_MALFORMED", /:3:\d+/);
    await expectError(["apply", SAMPLE, "-m", "x", "--tag", "../evil"], env, "BAD_REF_NAME");
    await expectError(["apply", SAMPLE, "-m", "x", "--tag", "t2"], env, "TAG_EXISTS", /t2/);
    const nope = await expectError(["show", "rp/nope"], env, "REF_NOT_FOUND", /nope/);
    assert.is(nope.data?.ref ?? "rp/nope", "rp/nope");
    await expectError(["diff", "rp/nope"], env, "REF_NOT_FOUND");
    await expectError(
      ["init", "--live-root", path.join(base, "live"), "--node", "proxy1"],
      env,
      "HOME_EXISTS",
    );
    await expectError(
      ["log"],
      { ...env, CONFVAULT_HOME: path.join(base, "missing") },
      "HOME_NOT_FOUND",
      /no confvault home/,
    );
    await expectError(
      ["--key-file", path.join(base, "no.key"), "show", "rp/t2"],
      { ...env, CONFVAULT_ACTIVATION_KEY: "" },
      "KEY_MISSING",
    );
    await expectError(["serve", "--port", "99999"], env, "BAD_USAGE", /port number from 0 to 65535/);
    await expectError(["serve", "--port", "abc"], env, "BAD_USAGE", /port number/);
    // A failing pre-apply hook: a failed operation (exit 1), its output in one readable error.
    const hooks = path.join(env.CONFVAULT_HOME!, "hooks");
    await fsp.mkdir(hooks, { recursive: true });
    await fsp.writeFile(path.join(hooks, "pre-apply"), "#!/bin/sh\necho 'policy check: no' >&2\nexit 4\n", {
      mode: 0o755,
    });
    const edited = path.join(base, "again.xml");
    await fsp.writeFile(
      edited,
      (await fsp.readFile(SAMPLE, "utf8")).replace("<request_timeout>120<", "<request_timeout>95<"),
    );
    await expectError(["apply", edited, "-m", "refused"], env, "HOOK_FAILED");
    await fsp.rm(path.join(hooks, "pre-apply"));
    await expectError(["remote", "push"], env, "NOTHING_TO_DO", /no remotes/);
    await expectError(["cluster", "join-token"], env, "NOT_MASTER", /not a master/);
    await expectError(["keys", "remove", "age1nobody"], env, "NOT_FOUND");
    const one = makeCert("one");
    const two = makeCert("two");
    await fsp.writeFile(path.join(base, "one.pem"), one.cert);
    await fsp.writeFile(path.join(base, "two.key"), two.key);
    const withPair = (cert: string) => [
      "apply",
      edited,
      "-m",
      "x",
      "--cert",
      cert,
      "--key",
      path.join(base, "two.key"),
    ];
    await expectError(withPair(path.join(base, "one.pem")), env, "CERT_KEY_MISMATCH");
    await expectError(withPair(path.join(base, "nope.pem")), env, "BAD_INPUT", /nope\.pem/);
    await fsp.writeFile(
      path.join(env.CONFVAULT_HOME!, "settings.json"),
      '{"version": 1, "role": "emperor"}\n',
    );
    await expectError(["log"], env, "SETTINGS_INVALID");
  } finally {
    await h.cleanup();
  }
});

test("a typo is one line with the suggestion, never the help", async () => {
  const r = await cli(["aply"]);
  assert.is(r.code, 2);
  assert.is(r.stdout, "");
  assert.is(r.stderr, "error: unknown command 'aply' (did you mean apply?)\n");
  const j = await cli(["aply", "--json"]);
  assert.is(j.code, 2);
  const err = JSON.parse(j.stderr).error;
  assert.is(err.code, "BAD_USAGE");
  assert.is(err.message, "unknown command 'aply' (did you mean apply?)");
  assert.is(err.data.suggestion, "apply");
  const far = await cli(["frobnicate"]);
  assert.is(far.code, 2);
  assert.is(far.stderr, "error: unknown command 'frobnicate'\nhint: run `confvault --help`\n");
  const viaHelp = await cli(["help", "aply"]);
  assert.is(viaHelp.code, 2);
  assert.is(viaHelp.stderr, "error: unknown command 'aply' (did you mean apply?)\n");
  const names = ["apply", "rollback", "restore", "status", "log", "show"];
  assert.is(closestName("aply", names), "apply");
  assert.is(closestName("rolback", names), "rollback");
  assert.is(closestName("statsu", names), "status");
  assert.is(closestName("lgo", names), "log");
  assert.is(closestName("frobnicate", names), undefined);
  assert.is(
    usageMessage("error: unknown command 'rolback'\n(Did you mean rollback?)"),
    "unknown command 'rolback' (did you mean rollback?)",
  );
});

test("ports: out of range or not a number is bad usage; a port in use is PORT_IN_USE with what to do", async () => {
  assert.is(portNumber("0"), 0);
  assert.is(portNumber("8740"), 8740);
  for (const bad of ["99999", "abc", "-1", "80.5", "", "0x50"])
    assert.throws(() => portNumber(bad), /port number/);
  const inUse = listenError(
    Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" }),
    "127.0.0.1",
    8740,
  );
  assert.ok(inUse instanceof ConfvaultError);
  assert.is(inUse.code, "PORT_IN_USE");
  assert.match(inUse.message, /127\.0\.0\.1:8740 is already in use/);
  assert.match(inUse.hint, /--port/);
  const low = listenError(
    Object.assign(new Error("EACCES"), { code: "EACCES" }),
    "0.0.0.0",
    80,
  ) as ConfvaultError;
  assert.is(low.code, "BAD_USAGE");
  assert.match(low.hint, /1024/);
  const other = new Error("something else");
  assert.is(listenError(other, "h", 1), other);

  // The real thing: serve on a port another process holds.
  const h = await cliHome();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const err = await expectError(
      ["serve", "--host", "127.0.0.1", "--port", String(port), "--no-tls", "--no-schedules"],
      { ...h.env, CONFVAULT_LOG_LEVEL: "error" },
      "PORT_IN_USE",
      new RegExp(`127\\.0\\.0\\.1:${port} is already in use`),
    );
    assert.match(err.hint, /another --port/);
  } finally {
    blocker.close();
    await h.cleanup();
  }
});

const point = (tag: string, time: string, source: string, actor: string, reason: string): RestorePoint => ({
  tag,
  time,
  source,
  actor,
  reason,
  commit: `${tag.length}`.padEnd(40, "a"),
});

test("log: aligned columns, local time with relative age, colour only when asked", () => {
  const now = new Date("2026-12-03T14:08:00Z");
  const points = [
    point("rp/short-timeouts", "2026-12-03T14:05:00Z", "apply", "alice", "shorter timeouts"),
    point("rp/20261203T120000Z-2", "2026-12-03T12:00:00Z", "restore", "bob", "back\nto noon"),
    point("rp/x", "2026-11-01T00:00:00Z", "", "", "old"),
  ];
  const text = renderLog(points, { now, color: false });
  const lines = text.split("\n");
  assert.is(lines.length, 3);
  // Every column starts at the same offset on every line.
  const commitCol = lines.map((l, i) => l.indexOf(points[i]!.commit.slice(0, 12)));
  assert.ok(
    commitCol.every((c) => c === commitCol[0]),
    `commits aligned:\n${text}`,
  );
  const timeCol = lines.map((l) => l.indexOf("2026-"));
  const sourceCol = lines[0]!.indexOf("apply");
  assert.is(lines[1]!.indexOf("restore"), sourceCol);
  assert.is(lines[2]!.indexOf("-", sourceCol), sourceCol, "an absent source shows as -");
  assert.ok(timeCol.every((c) => c === timeCol[0]));
  assert.match(lines[0]!, /\(3 min ago\)/);
  assert.match(lines[1]!, /\(2 h ago\)/);
  assert.match(lines[2]!, /\(32 days ago\)/);
  assert.match(lines[1]!, /back to noon$/, "a reason is one line");
  assert.not.match(text, /\u001b/);
  const coloured = renderLog(points, { now, color: true });
  assert.match(coloured, /\u001b\[33mrp\/short-timeouts\u001b\[39m/);
  // Alignment counts visible characters, not colour codes.
  assert.is(coloured.replace(/\u001b\[[0-9;]*m/g, ""), text);
  assert.is(renderLog([], { now, color: false }), "no restore points yet: apply a config first");
});

test("times: local minute with age; relative ages; the time zone is the process's", () => {
  const now = new Date("2026-12-03T14:08:00Z");
  assert.is(relativeAge(new Date("2026-12-03T14:07:58Z"), now), "just now");
  assert.is(relativeAge(new Date("2026-12-03T14:07:30Z"), now), "30 s ago");
  assert.is(relativeAge(new Date("2026-12-03T14:05:00Z"), now), "3 min ago");
  assert.is(relativeAge(new Date("2026-12-01T14:08:00Z"), now), "2 days ago");
  assert.is(relativeAge(new Date("2025-12-01T14:08:00Z"), now), "12 months ago");
  assert.is(relativeAge(new Date("2020-12-01T14:08:00Z"), now), "6 years ago");
  assert.is(relativeAge(new Date("2026-12-03T14:18:00Z"), now), "in 10 min");
  const local = new Date("2026-12-03T14:05:00Z");
  const expected = `${local.getFullYear()}-12-0${local.getDate()} ${String(local.getHours()).padStart(2, "0")}:05`;
  assert.is(localTimeWithAge("2026-12-03T14:05:00Z", now), `${expected} (3 min ago)`);
  assert.is(localTimeWithAge("not a time", now), "not a time");
});

test("log through the CLI in another time zone: local times, aligned", async () => {
  const h = await cliHome();
  try {
    const r = await cli(["log"], { ...h.env, TZ: "Asia/Kolkata" });
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.is(lines.length, 2);
    const json = JSON.parse((await cli(["log", "--json"], h.env)).stdout).restorePoints;
    const expect = new Date(json[0].time);
    // +05:30: the minute differs from UTC's by 30.
    const minute = (expect.getUTCMinutes() + 30) % 60;
    assert.match(
      lines[0]!,
      new RegExp(` \\d{2}:${String(minute).padStart(2, "0")} \\((just now|\\d+ s ago)\\)`),
    );
    assert.is(lines[0]!.indexOf(json[0].commit.slice(0, 12)), lines[1]!.indexOf(json[1].commit.slice(0, 12)));
    assert.not.match(r.stdout, /\u001b/, "no colour when piped");
    const forced = await cli(["log"], { ...h.env, FORCE_COLOR: "1", NO_COLOR: "" });
    assert.match(forced.stdout, /\u001b\[33mrp\//, "FORCE_COLOR colours a pipe");
  } finally {
    await h.cleanup();
  }
});

test("colour: FORCE_COLOR first, then NO_COLOR, then a terminal that is not dumb", () => {
  assert.is(colorEnabled({}, true), true);
  assert.is(colorEnabled({}, false), false);
  assert.is(colorEnabled({ NO_COLOR: "1" }, true), false);
  assert.is(colorEnabled({ NO_COLOR: "" }, true), true, "an empty NO_COLOR does not count");
  assert.is(colorEnabled({ TERM: "dumb" }, true), false);
  assert.is(colorEnabled({ FORCE_COLOR: "1" }, false), true);
  assert.is(colorEnabled({ FORCE_COLOR: "0" }, true), false);
  assert.is(colorEnabled({ FORCE_COLOR: "1", NO_COLOR: "1" }, false), true);
  assert.equal(
    alignColumns([
      ["a", "bb", "c"],
      ["ccc", "d", ""],
    ]),
    ["a    bb  c", "ccc  d"],
  );
});

test('--json conventions: "" and undefined become null, unix times become ISO-8601, one 2-space style', () => {
  assert.equal(
    jsonForOutput({
      commit: "",
      tag: "",
      time: 1796307600,
      createdAt: 1796307600123,
      durationMs: 1796307600,
      n: 0,
      nested: [{ expiresAt: "x", gone: undefined }],
    }),
    {
      commit: null,
      tag: null,
      time: "2026-12-03T14:20:00.000Z",
      createdAt: "2026-12-03T14:20:00.123Z",
      durationMs: 1796307600,
      n: 0,
      nested: [{ expiresAt: "x", gone: null }],
    },
  );
  assert.equal(
    jsonForOutput({ entries: [{ kind: "changed", path: "a/b", old: "", new: "x" }], unified: "" }),
    { entries: [{ kind: "changed", path: "a/b", old: "", new: "x" }], unified: "" },
    "an empty text in a diff is content, not absence",
  );
  assert.equal(jsonForOutput({ err: new ConfvaultError("LOCKED", "held", "wait") }), {
    err: { code: "LOCKED", message: "held", hint: "wait" },
  });
});

test("log records are one readable line, never raw JSON, in human output", async () => {
  assert.is(
    logLineAsText(
      JSON.stringify({
        level: 40,
        time: "2026-12-03T14:00:00Z",
        pid: 1,
        hook: "post-apply",
        exitCode: 3,
        output: "line one\nline two\n",
        msg: "hook post-apply failed",
      }),
    ),
    "warn: hook post-apply failed (hook=post-apply exitCode=3 output=line one | line two)",
  );
  assert.is(logLineAsText("not json\n"), "not json");
  const h = await cliHome();
  try {
    const hooks = path.join(h.env.CONFVAULT_HOME!, "hooks");
    await fsp.mkdir(hooks, { recursive: true });
    await fsp.writeFile(
      path.join(hooks, "post-apply"),
      "#!/bin/sh\necho 'reload: proxy not running' >&2\nexit 3\n",
      {
        mode: 0o755,
      },
    );
    const edited = path.join(h.base, "hooked.xml");
    await fsp.writeFile(
      edited,
      (await fsp.readFile(SAMPLE, "utf8")).replace("<request_timeout>120<", "<request_timeout>97<"),
    );
    const r = await cli(["apply", edited, "-m", "post hook fails"], h.env);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /post-apply/);
    for (const line of r.stderr.trimEnd().split("\n"))
      assert.not.match(line, /^\s*\{/, `raw JSON on stderr: ${line}`);
    const forced = await cli(["apply", SAMPLE, "-m", "again"], { ...h.env, CONFVAULT_LOG_FORMAT: "json" });
    assert.ok(
      forced.stderr.split("\n").some((l) => l.startsWith("{")),
      "CONFVAULT_LOG_FORMAT=json keeps JSON lines",
    );
  } finally {
    await h.cleanup();
  }
});

/** Runs the CLI with stdout (and stderr) on a pseudo-terminal through script(1). */
async function onTerminal(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  return await new Promise((resolve) => {
    execFile(
      "script",
      ["-qec", quoted, "/dev/null"],
      { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm", ...env } },
      (err, stdout) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout }),
    );
  });
}

test("binary is refused on a terminal (hint: > FILE or --output), written when piped or to --output", async () => {
  const sealed = new TextEncoder().encode(
    "age-encryption.org/v1\n-> X25519 abc\n--- xyz\n\u0000\u00ff\u0013binary",
  );
  assert.ok(looksBinary(sealed));
  assert.not.ok(looksBinary(new TextEncoder().encode("<?xml version='1.0'?>\n<a>é – ✓</a>\n")));
  assert.not.ok(
    looksBinary(new TextEncoder().encode("✓".repeat(30_000))),
    "a sample cut inside a character is text",
  );
  const refused = binaryRefusal(sealed, true, "secrets.sealed.age");
  assert.is(refused?.code, "BAD_USAGE");
  assert.match(refused!.hint, /> secrets\.sealed\.age/);
  assert.match(refused!.hint, /--output FILE/);
  assert.is(binaryRefusal(sealed, false, "secrets.sealed.age"), undefined, "piped: the bytes go out");
  assert.is(binaryRefusal(new TextEncoder().encode("<a/>"), true, "config.xml"), undefined, "text is fine");

  const h = await cliHome();
  try {
    const piped = await new Promise<Buffer>((resolve) => {
      execFile(
        process.execPath,
        [BIN, "show", "rp/t2", "--file", "secrets.sealed.age"],
        { cwd: ROOT, env: { PATH: process.env.PATH, ...h.env }, encoding: "buffer" },
        (_err, stdout) => resolve(stdout),
      );
    });
    assert.ok(piped.subarray(0, 22).toString() === "age-encryption.org/v1\n", "piped: the sealed bytes");
    const out = path.join(h.base, "sealed.age");
    const written = await cli(
      ["show", "rp/t2", "--file", "secrets.sealed.age", "--output", out, "--json"],
      h.env,
    );
    assert.is(written.code, 0, written.stderr);
    assert.equal(new Uint8Array(await fsp.readFile(out)), new Uint8Array(piped));
    assert.is(JSON.parse(written.stdout).bytes, piped.length);
    assert.is((await fsp.stat(out)).mode & 0o777, 0o600);
    if (hasScript) {
      const tty = await onTerminal(["show", "rp/t2", "--file", "secrets.sealed.age"], h.env);
      assert.is(tty.code, 2, tty.output);
      assert.match(tty.output, /\u001b\[31merror:\u001b\[39m/, "error: in red on a terminal");
      tty.output = tty.output.replace(/\u001b\[[0-9;]*m/g, "");
      assert.match(tty.output, /secrets\.sealed\.age is binary/);
      assert.match(tty.output, /hint: .*> secrets\.sealed\.age.*--output FILE/);
      assert.not.match(tty.output, /age-encryption\.org/);
      const text = await onTerminal(["show", "rp/t2"], h.env);
      assert.is(text.code, 0, text.output);
      assert.match(text.output, /<request_timeout>90</);
      const log = await onTerminal(["log"], h.env);
      assert.match(log.output, /\u001b\[33mrp\/t2/, "colour on a terminal");
      const plain = await onTerminal(["log"], { ...h.env, NO_COLOR: "1" });
      assert.not.match(plain.output, /\u001b\[3/, "NO_COLOR");
    }
  } finally {
    await h.cleanup();
  }
});

test.run();
