import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { bindOperations } from "../../src/api/operations.ts";
import { restore } from "../../src/api/restore.ts";
import { rollback } from "../../src/api/rollback.ts";
import { parseTrailers } from "../../src/core/commit-message.ts";
import { decodeManifest } from "../../src/core/manifest.ts";
import { readTokenRecords } from "../../src/home/token-file.ts";
import { createApp } from "../../src/server/create-app.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { createTokenVerifier } from "../../src/server/tokens.ts";
import { cli, dec, enc, git, ROOT, type TempHome, tempHome } from "../helpers/temp-home.ts";

const SAMPLE = new Uint8Array(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml")));
const TIMEOUT = "<request_timeout>120</request_timeout>";
const withTimeout = (n: number) =>
  enc(dec(SAMPLE).replace(TIMEOUT, `<request_timeout>${n}</request_timeout>`));
const SECRET = "not-a-real-password-change-me";
const withSecret = (value: string) => enc(dec(SAMPLE).replace(SECRET, value));

let h: TempHome;
test.before.each(async () => {
  h = await tempHome();
});
test.after.each(async () => {
  await h.cleanup();
});

const liveBytes = async () => new Uint8Array(await fsp.readFile(h.ctx.live("config")!));
const mainLog = async () => (await git(h.ctx.layout.gitdir, "log", "--format=%H", "main")).trim().split("\n");
const cliEnv = () => ({ ...h.env, CONFVAULT_HOME: h.dir });
const manifestAt = async (commit: string) =>
  decodeManifest(await h.ctx.engine.readFile(commit, "manifest.json"), commit);

test("restore --dry-run previews the policy diff against the current point and the live config; writes nothing", async () => {
  const first = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const second = await applyConfig({ ctx: h.ctx, config: withTimeout(240), reason: "slow", actor: "a" });
  // Someone edited the live file by hand since (drift): the live side shows it.
  await fsp.writeFile(h.ctx.live("config")!, withTimeout(999));
  const before = await mainLog();
  const r = await restore({ ctx: h.ctx, ref: first.tag, reason: "back", actor: "a", dryRun: true });
  assert.ok(r.dryRun && r.changed);
  assert.is(r.restoredFrom, first.commit);
  assert.is(r.restoredFromTag, first.tag);
  const current = r.diff!.current!;
  assert.is(r.diff!.from, second.commit);
  assert.is(r.diff!.fromTag, second.tag);
  const timeout = current.entries.find((e) => /request_timeout/.test(e.path));
  assert.equal([timeout?.kind, timeout?.old, timeout?.new], ["changed", "240", "120"]);
  const live = r.diff!.live;
  assert.is(live.state, "present");
  const liveTimeout = live.entries.find((e) => /request_timeout/.test(e.path));
  assert.equal([liveTimeout?.old, liveTimeout?.new], ["999", "120"]);
  assert.match(
    r.diff!.text,
    new RegExp(`current restore point ${second.tag} → ${first.tag}:\\n  .*request_timeout`),
  );
  assert.match(r.diff!.text, /live config\.xml → .*:\n {2}.*"999" → "120"/);
  assert.equal(await mainLog(), before, "a dry run commits nothing");
  assert.equal(await liveBytes(), withTimeout(999), "a dry run leaves the live file alone");
});

test("restore of the point that is already current and live makes no commit; --record makes one", async () => {
  await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const second = await applyConfig({ ctx: h.ctx, config: withTimeout(240), reason: "slow", actor: "a" });
  const before = await mainLog();
  for (const ref of [second.tag, "main", "@", second.commit.slice(0, 8)]) {
    const r = await restore({ ctx: h.ctx, ref, reason: "again", actor: "a" });
    assert.is(r.changed, false, ref);
    assert.is(r.commit, second.commit);
    assert.is(r.tag, second.tag);
    assert.ok(r.warnings.some((w) => /already the current restore point and live/.test(w)));
  }
  const dry = await restore({ ctx: h.ctx, ref: "main", reason: "again", actor: "a", dryRun: true });
  assert.is(dry.changed, false);
  assert.is(dry.diff!.current!.entries.length, 0);
  assert.is(dry.diff!.live.entries.length, 0);
  assert.equal(await mainLog(), before, "no restore point that changes only manifest.json");
  // The live file drifted: the same restore now puts it back (a real change on this machine).
  await fsp.writeFile(h.ctx.live("config")!, withTimeout(5));
  const fixed = await restore({ ctx: h.ctx, ref: "main", reason: "undo drift", actor: "a" });
  assert.is(fixed.changed, true);
  assert.equal(await liveBytes(), withTimeout(240));
  const recorded = await restore({
    ctx: h.ctx,
    ref: second.tag,
    reason: "on record",
    actor: "a",
    record: true,
  });
  assert.is(recorded.changed, true);
  assert.is((await mainLog()).length, before.length + 2);
  assert.is((await manifestAt(recorded.commit)).source, "restore");
});

test("rollback goes back to the previous distinct policy, is recorded as rollback and names tags", async () => {
  const a = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "a", actor: "x" });
  const b = await applyConfig({ ctx: h.ctx, config: withTimeout(240), reason: "b", actor: "x" });
  // b recorded twice (a restore of the point itself): rollback passes over the copy.
  const b2 = await restore({ ctx: h.ctx, ref: b.tag, reason: "b again", actor: "x", record: true });
  assert.is(b2.changed, true);
  const dry = await rollback({ ctx: h.ctx, reason: "undo", actor: "x", dryRun: true });
  assert.is(dry.restoredFrom, a.commit, "skips b and its copy");
  assert.is(dry.restoredFromTag, a.tag);
  assert.ok(dry.diff!.current!.entries.some((e) => /request_timeout/.test(e.path)));
  assert.is((await mainLog())[0], b2.commit, "a dry run commits nothing");
  const rb = await rollback({ ctx: h.ctx, reason: "undo", actor: "x" });
  assert.is(rb.changed, true);
  assert.is(rb.restoredFrom, a.commit);
  assert.is(rb.restoredFromTag, a.tag);
  assert.equal(await liveBytes(), SAMPLE);
  const m = await manifestAt(rb.commit);
  assert.is(m.source, "rollback");
  assert.is(m.restoredFrom, a.commit);
  const message = await git(h.ctx.layout.gitdir, "log", "-1", "--format=%B", rb.commit);
  const { subject, trailers } = parseTrailers(message);
  assert.is(subject, `rollback to ${a.tag}`);
  assert.is(trailers["Confvault-Source"], "rollback");
  assert.is(trailers["Confvault-Restored-From"], a.commit);
  // Again: now the previous distinct policy is b (the newest commit that has it, b2).
  const again = await rollback({ ctx: h.ctx, reason: "redo", actor: "x" });
  assert.is(again.restoredFrom, b2.commit);
  assert.equal(await liveBytes(), withTimeout(240));
  // --steps counts distinct policies: a, b; there is no third.
  const two = await rollback({ ctx: h.ctx, steps: 1, reason: "x", actor: "x", dryRun: true });
  assert.is(two.restoredFrom, rb.commit, "the newest commit with policy a");
  try {
    await rollback({ ctx: h.ctx, steps: 2, reason: "x", actor: "x", dryRun: true });
    assert.unreachable("only one other policy");
  } catch (err) {
    assert.is((err as { code?: string }).code, "NOT_FOUND", String(err));
    assert.match((err as Error).message, /only 1 earlier distinct policy/);
  }
});

test("CLI: apply/restore/rollback --dry-run print the semantic diff; JSON carries the entries; secrets stay hidden", async () => {
  const env = cliEnv();
  const file = path.join(h.dir, "next.xml");
  await fsp.writeFile(file, SAMPLE);
  assert.is((await cli(["apply", file, "-m", "first"], env)).code, 0);
  await fsp.writeFile(file, withSecret("hunter2-is-the-new-one"));
  const dry = await cli(["apply", file, "-m", "new secret", "--dry-run"], env);
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would make a new restore point/);
  assert.match(dry.stdout, /ldappassword: secret changed/);
  assert.match(dry.stdout, /live config\.xml → the new config:/);
  assert.not.match(dry.stdout + dry.stderr, /hunter2|not-a-real-password/);
  await fsp.writeFile(file, withTimeout(30));
  const json = await cli(["apply", file, "-m", "shorter", "--dry-run", "--json"], env);
  assert.is(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.is(parsed.dryRun, true);
  assert.ok(parsed.diff.current.entries.some((e: { path: string }) => /request_timeout/.test(e.path)));
  assert.ok(parsed.diff.live.entries.some((e: { path: string }) => /request_timeout/.test(e.path)));
  assert.is(await mainLogLength(), 1, "dry runs commit nothing");

  assert.is((await cli(["apply", file, "-m", "shorter", "--tag", "short-timeouts"], env)).code, 0);
  const rdry = await cli(["restore", "main~1", "-m", "back", "--dry-run"], env);
  assert.is(rdry.code, 0, rdry.stderr);
  assert.match(rdry.stdout, /^dry run: restoring rp\/\S+ would change:/);
  assert.match(
    rdry.stdout,
    /current restore point rp\/short-timeouts → rp\/\S+:\n {2}~ .*request_timeout.*"30" → "120"/,
  );
  const rbdry = await cli(["rollback", "-m", "back", "--dry-run", "--json"], env);
  assert.is(rbdry.code, 0, rbdry.stderr);
  const rb = JSON.parse(rbdry.stdout);
  assert.ok(rb.diff.current.entries.some((e: { path: string }) => /request_timeout/.test(e.path)));
  assert.match(rb.restoredFromTag, /^rp\//);
  const noop = await cli(["restore", "short-timeouts", "-m", "again"], env);
  assert.is(noop.code, 0, noop.stderr);
  assert.match(
    noop.stdout,
    /nothing to restore: rp\/short-timeouts is already the current restore point and live/,
  );
  const noopJson = JSON.parse(
    (await cli(["restore", "short-timeouts", "-m", "again", "--json"], env)).stdout,
  );
  assert.is(noopJson.changed, false);
  assert.is(await mainLogLength(), 2);
  const rolled = await cli(["rollback", "-m", "too short"], env);
  assert.is(rolled.code, 0, rolled.stderr);
  assert.match(rolled.stdout, /^rolled back to rp\/\S+ as rp\/\S+ \(commit [0-9a-f]{12}\)/);
  assert.not.match(rolled.stdout, /rolled back to [0-9a-f]{12}/);
  const forced = await cli(["restore", "main", "-m", "keep a record", "--record", "--json"], env);
  assert.is(JSON.parse(forced.stdout).changed, true);
  assert.is(await mainLogLength(), 4);
});

test("CLI and HTTP take every revision form; an ambiguous name lists the candidates (exit 2, HTTP 400)", async () => {
  const env = cliEnv();
  const file = path.join(h.dir, "next.xml");
  await fsp.writeFile(file, SAMPLE);
  const first = JSON.parse((await cli(["apply", file, "-m", "first", "--json"], env)).stdout);
  await fsp.writeFile(file, withTimeout(30));
  const second = JSON.parse(
    (await cli(["apply", file, "-m", "shorter", "--tag", "short-timeouts", "--json"], env)).stdout,
  );
  assert.is(second.tag, "rp/short-timeouts");
  for (const [from, to] of [
    ["short-timeouts~1", "short-timeouts"],
    [first.tag, "main"],
    ["main~1", "HEAD"],
    ["main~", "@"],
    ["main^", "rp/short-timeouts"],
    ["HEAD~1", "@"],
    ["@~1", "main"],
    [first.commit, second.commit.slice(0, 7)],
    [first.commit.slice(0, 4), "short-timeouts"],
  ]) {
    const d = await cli(["diff", from!, to!], env);
    assert.is(d.code, 0, `${from} ${to}: ${d.stderr}`);
    assert.match(d.stdout, /request_timeout.*"120" → "30"/, `${from} ${to}`);
  }
  const shown = await cli(["show", "main~1"], env);
  assert.is(shown.stdout, dec(SAMPLE));
  const back = await cli(["restore", first.commit.slice(0, 10), "-m", "x", "--dry-run", "--json"], env);
  assert.is(JSON.parse(back.stdout).restoredFrom, first.commit);
  const verify = await cli(["verify", "short-timeouts~1", "--json"], env);
  assert.is(verify.code, 0, verify.stderr);
  const past = await cli(["diff", "main~5"], env);
  assert.is(past.code, 2);
  assert.match(past.stderr, /goes back 5 commits from main, but only 1 exist/);

  // A foreign tag of the same name at another commit: REF_AMBIGUOUS, both listed.
  await git(h.ctx.layout.gitdir, "update-ref", "refs/tags/short-timeouts", first.commit);
  const amb = await cli(["diff", "short-timeouts", "--json"], env);
  assert.is(amb.code, 2);
  const error = JSON.parse(amb.stderr).error;
  assert.is(error.code, "REF_AMBIGUOUS");
  assert.ok(
    error.message.includes(first.commit.slice(0, 12)) && error.message.includes(second.commit.slice(0, 12)),
  );
  assert.match(error.message, /rp\/short-timeouts/);

  const app = createApp({
    ops: bindOperations(h.ctx),
    tokens: createTokenVerifier(await readTokenRecords(h.ctx.layout.tokens)),
    logger: { info() {}, warn() {}, error() {} },
    metrics: createMetrics(),
    version: "test",
  });
  const auth = { authorization: `Bearer ${h.tokens.find((t) => t.role === "operator")!.token}` };
  const file1 = await app.request("/api/v1/restore-points/main~1/config.xml", { headers: auth });
  assert.is(file1.status, 200, await file1.clone().text());
  assert.is(await file1.text(), dec(SAMPLE));
  const caret = await app.request("/api/v1/restore-points/HEAD%5E/config.xml", { headers: auth });
  assert.is(await caret.text(), dec(SAMPLE));
  const d = await app.request("/api/v1/diff?from=%40~1&to=rp/short-timeouts", { headers: auth });
  assert.is(d.status, 200);
  assert.match((await d.json()).text, /request_timeout/);
  const ambiguous = await app.request("/api/v1/diff?from=short-timeouts", { headers: auth });
  assert.is(ambiguous.status, 400);
  assert.is((await ambiguous.json()).error.code, "REF_AMBIGUOUS");
  const dry = await app.request("/api/v1/restore", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ tag: "main~1", reason: "preview", dry_run: true }),
  });
  assert.is(dry.status, 200, await dry.clone().text());
  const body = await dry.json();
  assert.is(body.restoredFrom, first.commit);
  assert.ok(body.diff.current.entries.some((e: { path: string }) => /request_timeout/.test(e.path)));
  // A restore of what is already current and live: 200, changed false, no restore point.
  const before = await mainLogLength();
  const same = await app.request("/api/v1/restore", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ tag: "rp/short-timeouts", reason: "again" }),
  });
  assert.is(same.status, 200, await same.clone().text());
  assert.is((await same.json()).changed, false);
  assert.is(await mainLogLength(), before);
  // "record": true makes one anyway, as `--record` does.
  const recorded = await app.request("/api/v1/restore", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ tag: "rp/short-timeouts", reason: "record it", record: true }),
  });
  assert.is(recorded.status, 201, await recorded.clone().text());
  assert.is(await mainLogLength(), before + 1);
});

async function mainLogLength(): Promise<number> {
  return (await mainLog()).length;
}

test.run();
