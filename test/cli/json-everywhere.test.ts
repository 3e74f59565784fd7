import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { COMMANDS } from "../../src/cli/command-table.ts";
import { CONTENT_KEYS } from "../../src/cli/output.ts";
import { cli, ROOT, TEST_KEY, tempDir } from "../helpers/temp-home.ts";

/*
 * Every command in the command table, run with --json in a temp home as a script would: stdout is
 * exactly one JSON document (or nothing, with one error object on stderr), 2-space indented,
 * with ISO-8601 times and null (never "") for what is absent.
 */

const SAMPLE = path.join(ROOT, "templates/sample/safesquid-config.xml");

/** Keys whose numeric values would be times in unix seconds (or milliseconds). */
const TIME_KEY =
  /(?:^|_)(?:time|date|ts)$|(?:At|Time|Date|Since|Until)$|^(?:created|expires|since|until|when)$/;

export function conventionProblems(value: unknown, at = "$"): string[] {
  const out: string[] = [];
  const key = at.split(".").at(-1) ?? "";
  if (value === "" && !CONTENT_KEYS.has(key)) out.push(`${at}: "" (absent values are null)`);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...conventionProblems(v, `${at}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const where = `${at}.${k}`;
      if (typeof v === "number" && TIME_KEY.test(k) && v > 1e8)
        out.push(`${where}: ${v} (times are ISO-8601)`);
      if (typeof v === "string" && TIME_KEY.test(k) && /^\d{9,}$/.test(v))
        out.push(`${where}: "${v}" (unix time)`);
      out.push(...conventionProblems(v, where));
    }
  }
  return out;
}

/** One JSON document on stdout, pretty-printed the one way; or one error object on stderr. */
function checkRun(
  r: { code: number; stdout: string; stderr: string },
  allowError: boolean,
): { doc: unknown; problems: string[] } {
  if (r.code !== 0) {
    if (!allowError) return { doc: undefined, problems: [`exit ${r.code}: ${r.stderr.slice(0, 300)}`] };
    const problems: string[] = [];
    if (r.stdout !== "") problems.push(`stdout on an error: ${r.stdout.slice(0, 200)}`);
    const lines = r.stderr.trim().split("\n");
    if (lines.length !== 1) problems.push(`${lines.length} lines on stderr: ${r.stderr.slice(0, 300)}`);
    try {
      const err = JSON.parse(lines.at(-1)!).error;
      for (const k of ["code", "message", "hint"])
        if (typeof err?.[k] !== "string" || err[k] === "") problems.push(`error.${k} missing or ""`);
    } catch {
      problems.push(`stderr is not a JSON error: ${r.stderr.slice(0, 300)}`);
    }
    return { doc: undefined, problems };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch (err) {
    return {
      doc,
      problems: [`stdout is not one JSON document (${(err as Error).message}): ${r.stdout.slice(0, 300)}`],
    };
  }
  const problems = conventionProblems(doc);
  if (r.stdout !== `${JSON.stringify(doc, null, 2)}\n`) problems.push("not 2-space JSON");
  return { doc, problems };
}

test("every command in the command table prints one JSON document under --json", async () => {
  const base = await tempDir();
  const home = path.join(base, "home");
  const env = { CONFVAULT_HOME: home, CONFVAULT_ACTIVATION_KEY: TEST_KEY, CONFVAULT_ACTOR: "ops" };
  const edited = path.join(base, "edited.xml");
  await fsp.writeFile(
    edited,
    (await fsp.readFile(SAMPLE, "utf8")).replace("<request_timeout>120<", "<request_timeout>90<"),
  );
  const covered = new Set<string>();
  const run = async (args: string[], allowError = false, extraEnv: Record<string, string> = {}) => {
    covered.add(args[0]!);
    const { doc, problems } = checkRun(await cli([...args, "--json"], { ...env, ...extraEnv }), allowError);
    for (const p of problems) failures.push(`${args.join(" ")}: ${p}`);
    return doc;
  };
  const failures: string[] = [];
  try {
    await run(["init", "--live-root", path.join(base, "live"), "--node", "proxy1"]);
    const first = (await run(["apply", SAMPLE, "-m", "first"])) as { tag: string };
    await run(["apply", edited, "-m", "dry", "--dry-run"]);
    await run(["apply", edited, "-m", "second", "--tag", "t2"]);
    await run(["capture", "-m", "nothing changed"], true);
    await run(["log"]);
    await run(["log", "-n", "1"]);
    await run(["show", "rp/t2"]);
    await run(["show", "rp/t2", "--file", "manifest.json"]);
    await run(["diff", first.tag, "rp/t2"]);
    await run(["diff", first.tag, "--unified"]);
    await run(["restore", first.tag, "-m", "back", "--dry-run"]);
    await run(["restore", first.tag, "-m", "back"]);
    await run(["rollback", "-m", "undo"]);
    await run(["verify", "--all"]);
    await run(["verify", "rp/t2"]);
    await run(["maintenance"]);
    await run(["status"]);
    await run(["keys", "identity"]);
    await run(["keys", "recipients"]);
    await run(["keys", "allowed-signers"]);
    await run(["prune", "--keep-last", "1", "--dry-run"]);
    await run(["cluster", "status"], true);
    await run(["cluster", "join-token"], true);
    await run(["sync", "status"], true);
    await run(["systemd-unit"]);
    await run(["remote", "list"]);
    await run(["remote", "push"], true);
    await run(["github", "check"], true);
    await run(["propose", edited, "-m", "review me"], true);
    await run(
      ["recover", "--from", path.join(home, "repo.git"), "--live-root", path.join(base, "live2")],
      true,
      {
        CONFVAULT_HOME: path.join(base, "recovered"),
      },
    );
    // The two that run a server: their usage errors (the running case is in errors-and-output).
    await run(["serve", "--port", "abc"], true);
    await run(["demo", "--port", "99999"], true);
    await run(["report", "send"], true);
    // A command added to the table later is run bare: its answer (or its usage error) still follows the rules.
    for (const entry of COMMANDS) if (!covered.has(entry.name)) await run([entry.name], true);
    assert.equal(
      COMMANDS.map((c) => c.name).filter((n) => !covered.has(n)),
      [],
      "every command in the table is run",
    );
    assert.equal(failures, [], failures.join("\n"));
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
});

test('the convention check finds "" and unix seconds', () => {
  assert.equal(
    conventionProblems({ a: "", createdAt: 1764770000, at: [{ expiresAt: "2026-12-03T14:00:00.000Z" }] }),
    ['$.a: "" (absent values are null)', "$.createdAt: 1764770000 (times are ISO-8601)"],
  );
});

test.run();
