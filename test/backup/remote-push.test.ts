import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remoteList } from "../../src/api/remote-list.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { remoteRemove } from "../../src/api/remote-remove.ts";
import { readRemotes } from "../../src/backup/remote-store.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { type GitHttpServer, startGitHttpServer } from "../helpers/git-http-server.ts";
import { cli, TEST_KEY, type TempHome } from "../helpers/temp-home.ts";
import { gitAsync, homeWithHistory, variant } from "./backup-fixtures.ts";

const TOKEN = "push-token-0123456789";
let server: GitHttpServer;
let h: TempHome;
let tags: string[];

test.before.each(async () => {
  server = await startGitHttpServer({ auth: { basicPasswordOnly: TOKEN } });
  ({ h, tags } = await homeWithHistory(3));
});
test.after.each(async () => {
  await server.close();
  await h.cleanup();
});

async function remoteRefs(name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of (
    await gitAsync(server.repoDir(name), "for-each-ref", "--format=%(refname) %(objectname)")
  )
    .trim()
    .split("\n")) {
    const [ref, oid] = line.split(" ");
    if (ref && oid) out.set(ref, oid);
  }
  return out;
}

test("push sends main and every restore point to a smart-HTTP remote; git ls-remote shows them all", async () => {
  const url = await server.createRepo("offsite.git");
  await remoteAdd({ ctx: h.ctx, name: "offsite", url, tokenEnv: "OFFSITE_TOKEN" });
  const [result] = await remotePush({ ctx: h.ctx, env: { OFFSITE_TOKEN: TOKEN } });
  assert.ok(result?.ok, JSON.stringify(result));
  assert.is(result?.transport, "git");
  const listed = await gitAsync(
    null,
    "-c",
    `http.extraHeader=Authorization: Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}`,
    "ls-remote",
    url,
  );
  const main = await h.ctx.engine.branchTip("main");
  assert.ok(listed.includes(`${main}\trefs/heads/main`), listed);
  for (const tag of tags) assert.ok(listed.includes(`refs/tags/${tag}\n`), `${tag} missing in\n${listed}`);
  const [entry] = await remoteList({ ctx: h.ctx });
  assert.is(entry?.lastPush?.ok, true);
  assert.is(entry?.token, "env:OFFSITE_TOKEN");
  // Nothing new: the second push is a no-op; a new apply sends just that.
  const [again] = await remotePush({ ctx: h.ctx, env: { OFFSITE_TOKEN: TOKEN } });
  assert.equal(again?.updated, []);
  const next = await applyConfig({ ctx: h.ctx, config: variant(999), reason: "one more", actor: "t" });
  const [third] = await remotePush({ ctx: h.ctx, env: { OFFSITE_TOKEN: TOKEN } });
  assert.equal(third?.updated, ["main", next.tag]);
});

test("the token is never written to remotes.json; a stored token file is mode 0600", async () => {
  const url = await server.createRepo("stored.git");
  await remoteAdd({ ctx: h.ctx, name: "stored", url, token: TOKEN });
  const text = await fsp.readFile(h.ctx.layout.remotes, "utf8");
  assert.not.ok(text.includes(TOKEN));
  const st = await fsp.stat(path.join(h.ctx.layout.remoteTokens, "stored.token"));
  assert.is(st.mode & 0o777, 0o600);
  const [result] = await remotePush({ ctx: h.ctx, env: {} });
  assert.ok(result?.ok, JSON.stringify(result));
  try {
    await remoteAdd({ ctx: h.ctx, name: "leaky", url: url.replace("http://", `http://x:${TOKEN}@`) });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "BAD_INPUT"), String(err));
  }
});

test("isomorphic-git pushes over http with token auth too (the fallback without a git CLI)", async () => {
  const url = await server.createRepo("iso.git");
  await remoteAdd({ ctx: h.ctx, name: "iso", url, transport: "isomorphic-git", tokenEnv: "T" });
  const [result] = await remotePush({ ctx: h.ctx, env: { T: TOKEN } });
  assert.ok(result?.ok, JSON.stringify(result));
  assert.is(result?.transport, "isomorphic-git");
  const refs = await remoteRefs("iso.git");
  assert.is(refs.get("refs/heads/main"), await h.ctx.engine.branchTip("main"));
  for (const tag of tags) assert.ok(refs.has(`refs/tags/${tag}`), tag);
  await gitAsync(server.repoDir("iso.git"), "fsck", "--strict", "--no-progress");
});

test("a wrong token fails loudly: non-zero exit from the CLI, and the failure is recorded per remote", async () => {
  const url = await server.createRepo("offsite.git");
  await remoteAdd({ ctx: h.ctx, name: "offsite", url, tokenEnv: "OFFSITE_TOKEN" });
  await remoteAdd({ ctx: h.ctx, name: "iso", url, transport: "isomorphic-git", tokenEnv: "OFFSITE_TOKEN" });
  const r = await cli(["--home", h.dir, "remote", "push"], {
    CONFVAULT_ACTIVATION_KEY: TEST_KEY,
    OFFSITE_TOKEN: "wrong-token-xxxxxxxx",
  });
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stdout, /FAIL {2}offsite {2}REMOTE_FAILED/);
  assert.match(r.stdout, /FAIL {2}iso {2}REMOTE_FAILED/);
  assert.match(r.stderr, /push failed for 2 of 2 remote\(s\)/);
  assert.not.ok(r.stderr.includes("wrong-token-xxxxxxxx"));
  const listed = await remoteList({ ctx: h.ctx });
  for (const entry of listed) {
    assert.is(entry.lastPush?.ok, false, entry.name);
    assert.is(entry.lastPush?.error?.code, "REMOTE_FAILED");
    assert.ok(entry.lastPush?.time);
  }
  assert.is((await remoteRefs("offsite.git")).size, 0);
  const shown = await cli(["--home", h.dir, "remote", "list"], { CONFVAULT_ACTIVATION_KEY: TEST_KEY });
  assert.match(shown.stdout, /offsite .* last push: \S+ FAILED REMOTE_FAILED/);
});

test("a server that stops accepting pushes makes push fail and the record say so", async () => {
  const url = await server.createRepo("offsite.git");
  await remoteAdd({ ctx: h.ctx, name: "offsite", url, tokenEnv: "T" });
  server.refusePushes = true;
  try {
    await remotePush({ ctx: h.ctx, env: { T: TOKEN } });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "REMOTE_FAILED"), String(err));
    assert.match((err as Error).message, /403/);
  }
  const [entry] = await remoteList({ ctx: h.ctx });
  assert.is(entry?.lastPush?.ok, false);
});

test("a diverged remote is reported as REMOTE_DIVERGED and never overwritten", async () => {
  const url = await server.createRepo("shared.git");
  const other = await homeWithHistory(2);
  try {
    await remoteAdd({ ctx: other.h.ctx, name: "shared", url, tokenEnv: "T" });
    await remotePush({ ctx: other.h.ctx, env: { T: TOKEN } });
  } finally {
    await other.h.cleanup();
  }
  const before = await remoteRefs("shared.git");
  await remoteAdd({ ctx: h.ctx, name: "shared", url, tokenEnv: "T" });
  try {
    await remotePush({ ctx: h.ctx, env: { T: TOKEN } });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "REMOTE_DIVERGED"), String(err));
  }
  assert.equal(await remoteRefs("shared.git"), before);
  const [entry] = await remoteList({ ctx: h.ctx });
  assert.is(entry?.lastPush?.error?.code, "REMOTE_DIVERGED");
  const r = await cli(["--home", h.dir, "--json", "remote", "push", "shared"], {
    CONFVAULT_ACTIVATION_KEY: TEST_KEY,
    T: TOKEN,
  });
  assert.is(r.code, 1);
  assert.is(JSON.parse(r.stderr).error.code, "REMOTE_DIVERGED");
});

test("remote remove forgets the definition, the stored token and the record", async () => {
  const url = await server.createRepo("x.git");
  await remoteAdd({ ctx: h.ctx, name: "x", url, token: TOKEN });
  await remotePush({ ctx: h.ctx, env: {} });
  await remoteRemove({ ctx: h.ctx, name: "x" });
  assert.equal(await readRemotes(h.ctx.layout.remotes), []);
  assert.equal(await remoteList({ ctx: h.ctx }), []);
  assert.is(await fsp.stat(path.join(h.ctx.layout.remoteTokens, "x.token")).catch(() => "gone"), "gone");
});

test.run();
