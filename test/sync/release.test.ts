import { promises as fsp } from "node:fs";
import { base64 } from "@scure/base";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { restore } from "../../src/api/restore.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { unsealBundle } from "../../src/seal/unseal-bundle.ts";
import { readJson, syncPaths } from "../../src/sync/json-state.ts";
import { openRelease } from "../../src/sync/open-release.ts";
import { createReleaseSource, type Release } from "../../src/sync/release.ts";
import { releaseSignedBytes, signBytes } from "../../src/sync/release-signature.ts";
import { signSyncRequest } from "../../src/sync/signature.ts";
import type { SlaveState } from "../../src/sync/slave-sync.ts";
import { dec, enc } from "../helpers/temp-home.ts";
import { inProcessPair, SAMPLE, waitFor } from "./in-process.ts";

let pair: Awaited<ReturnType<typeof inProcessPair>>;
test.before.each(async () => {
  pair = await inProcessPair();
});
test.after.each(async () => {
  await pair.cleanup();
});

const LDAP = /<ldappassword>([^<]+)<\/ldappassword>/.exec(dec(SAMPLE))![1]!;
const changed = (n: number) =>
  enc(
    dec(SAMPLE).replace(
      "<request_timeout>120</request_timeout>",
      `<request_timeout>${120 + n}</request_timeout>`,
    ),
  );

async function release(commit: string): Promise<Release> {
  const slave = await pair.master.authenticate(
    (
      await readJson<{ nodeToken: string }>(syncPaths(pair.slaveCtx.layout.state).credentials, {
        nodeToken: "",
      })
    ).nodeToken,
  );
  return await pair.master.release(slave, commit);
}

test("a release carries the committed config with markers and a bundle only the slave can open", async () => {
  const r = await applyConfig({
    ctx: pair.masterHome.ctx,
    config: SAMPLE,
    reason: "first policy",
    actor: "alice",
  });
  const rel = await release(r.commit);
  assert.is(rel.sequence, 1);
  assert.is(rel.tag, r.tag);
  assert.is(rel.reason, "first policy");
  assert.not.ok(JSON.stringify(rel).includes(LDAP), "no plaintext secret in the release");
  const slaveKeys = await pair.slaveCtx.keys();
  const masterKeys = [(await pair.masterHome.ctx.keys()).signer.sshPublicKey];
  const opened = await openRelease(rel, {
    identity: slaveKeys.identity,
    cluster: "c",
    masterKeys,
    commit: r.commit,
  });
  assert.equal(opened.config, SAMPLE);
  const masterIdentity = (await pair.masterHome.ctx.keys()).identity;
  try {
    await unsealBundle(base64.decode(rel.bundle), [masterIdentity]);
    assert.unreachable("the master's own identity must not open a slave's copy");
  } catch (err) {
    assert.ok(isConfvaultError(err, "WRONG_KEY"), String(err));
  }
});

test("a tampered release is refused before it is opened (RELEASE_UNTRUSTED); one the master itself signed inconsistently still fails its hash checks", async () => {
  const r = await applyConfig({ ctx: pair.masterHome.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const rel = await release(r.commit);
  const { identity } = await pair.slaveCtx.keys();
  const { signer } = await pair.masterHome.ctx.keys();
  const masterKeys = [signer.sshPublicKey];
  const open = (x: unknown, commit = r.commit) =>
    openRelease(x, { identity, cluster: "c", masterKeys, commit });
  /** What a compromised master would send: altered, then signed with the real key. */
  const resigned = async (x: Release): Promise<Release> => ({
    ...x,
    signature: await signBytes(
      signer,
      await releaseSignedBytes({ ...x, config: base64.decode(x.config), bundle: base64.decode(x.bundle) }),
    ),
  });
  const refused = async (x: unknown, code: string, commit?: string) => {
    try {
      await open(x, commit);
      assert.unreachable("accepted a tampered release");
    } catch (err) {
      assert.ok(isConfvaultError(err), String(err));
      assert.is((err as { code: string }).code, code, (err as Error).message);
    }
  };
  const bytes = base64.decode(rel.config);
  const at = dec(bytes).indexOf("<request_timeout>120") + 17;
  const evil = bytes.slice();
  evil[at] = "9".charCodeAt(0);
  const badManifest = {
    ...rel,
    manifest: { ...rel.manifest, config: { ...rel.manifest.config, sha256: "0".repeat(64) } },
  };
  const cutBundle = { ...rel, bundle: base64.encode(base64.decode(rel.bundle).slice(0, -5)) };
  await refused({ ...rel, config: base64.encode(evil) }, "RELEASE_UNTRUSTED");
  await refused(badManifest, "RELEASE_UNTRUSTED");
  await refused(rel, "RELEASE_UNTRUSTED", "f".repeat(40));
  await refused({ ...rel, cluster: "other" }, "RELEASE_UNTRUSTED");
  await refused(cutBundle, "RELEASE_UNTRUSTED");
  await refused({ ...rel, sequence: 999, manifest: { ...rel.manifest, sequence: 999 } }, "RELEASE_UNTRUSTED");
  await refused({ nope: 1 }, "RELEASE_UNTRUSTED");
  const { signature: _, ...unsigned } = rel;
  await refused(unsigned, "RELEASE_UNTRUSTED");
  // Signed by the master, yet inconsistent: the hash checks still catch it.
  await refused(await resigned({ ...rel, config: base64.encode(evil) }), "MANIFEST_MISMATCH");
  await refused(await resigned(badManifest), "MANIFEST_MISMATCH");
  await refused(await resigned({ ...rel, cluster: "other" }), "FOREIGN_CLUSTER");
  await refused(await resigned(cutBundle), "SEAL_TAMPERED");
});

test("releases are built once per commit and re-sealed per recipient", async () => {
  const r = await applyConfig({ ctx: pair.masterHome.ctx, config: SAMPLE, reason: "first", actor: "a" });
  const source = createReleaseSource(pair.masterHome.ctx);
  const { recipient } = await pair.slaveCtx.keys();
  const [a, b] = await Promise.all([source.build(r.commit, recipient), source.build(r.commit, recipient)]);
  assert.is(a.bundle, b.bundle);
  assert.is((await source.head(r.commit)).sequence, 1);
});

async function signedWebhook(commit: string, delivery: string) {
  const creds = await readJson<{ clusterSecret: string }>(syncPaths(pair.slaveCtx.layout.state).credentials, {
    clusterSecret: "",
  });
  const body = JSON.stringify({ cluster: "c", commit, tag: "", sequence: 0 });
  const headers = await signSyncRequest({ secret: creds.clusterSecret, body, delivery });
  return await pair.apps["s1.test:8741"]!.fetch(
    new Request("http://s1.test:8741/hooks/sync", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    }),
  );
}

const slaveState = () =>
  readJson<SlaveState>(syncPaths(pair.slaveCtx.layout.state).slave, { applied: null, failed: null });
const slaveLive = async () => dec(new Uint8Array(await fsp.readFile(pair.slaveCtx.live("config")!)));

test("reordered deliveries never take a slave backwards; a master restore (newer sequence) is followed", async () => {
  const ctx = pair.masterHome.ctx;
  const one = await applyConfig({ ctx, config: changed(1), reason: "one", actor: "a" });
  const two = await applyConfig({ ctx, config: changed(2), reason: "two", actor: "a" });
  assert.is((await signedWebhook(two.commit, "d-two-000000001")).status, 202);
  await waitFor(async () => (await slaveState()).applied?.sequence === 2, 5000, "release two");
  assert.is((await signedWebhook(one.commit, "d-one-000000001")).status, 202);
  await new Promise((r) => setTimeout(r, 300));
  assert.is((await slaveState()).applied?.commit, two.commit);
  assert.match(await slaveLive(), /<request_timeout>122</);
  assert.match(await slaveLive(), /proxy-s1\.example\.internal/);
  const back = await restore({ ctx, ref: one.tag, reason: "undo two", actor: "a" });
  assert.is((await signedWebhook(back.commit, "d-back-00000001")).status, 202);
  await waitFor(async () => (await slaveState()).applied?.commit === back.commit, 5000, "the restore");
  assert.match(await slaveLive(), /<request_timeout>121</);
  assert.match(await slaveLive(), /proxy-s1\.example\.internal/);
});

test("a replayed delivery is refused with 409, a forged one with 401, an oversized one with 413; nothing changes", async () => {
  const one = await applyConfig({ ctx: pair.masterHome.ctx, config: SAMPLE, reason: "one", actor: "a" });
  assert.is((await signedWebhook(one.commit, "d-replay-000001")).status, 202);
  const again = await signedWebhook(one.commit, "d-replay-000001");
  assert.is(again.status, 409);
  assert.is(((await again.json()) as { error: { code: string } }).error.code, "REPLAYED");
  const forged = await pair.apps["s1.test:8741"]!.fetch(
    new Request("http://s1.test:8741/hooks/sync", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-confvault-signature": `sha256=${"0".repeat(64)}`,
        "x-confvault-timestamp": String(Math.floor(Date.now() / 1000)),
        "x-confvault-delivery": "d-forged-00001",
      },
      body: JSON.stringify({ cluster: "c", commit: one.commit, tag: "" }),
    }),
  );
  assert.is(forged.status, 401);
  const big = await pair.apps["s1.test:8741"]!.fetch(
    new Request("http://s1.test:8741/hooks/sync", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(1 << 20) },
      body: "x".repeat(1 << 20),
    }),
  );
  assert.is(big.status, 413);
});

test("the poller catches up with the latest released restore point, and the master records the ack", async () => {
  await applyConfig({ ctx: pair.masterHome.ctx, config: changed(5), reason: "five", actor: "a" });
  await pair.master.start();
  await waitFor(
    async () =>
      (await pair.master.status()).rollout.released?.sequence === 1 ||
      (await pair.master.status()).nodes[0]?.applied?.sequence === 1,
    5000,
    "rollout",
  );
  await pair.slave.pollOnce();
  await waitFor(async () => (await slaveState()).applied?.sequence === 1, 5000, "poll");
  await waitFor(async () => (await pair.master.status()).nodes[0]?.applied?.sequence === 1, 5000, "ack");
  const status = await pair.master.status();
  assert.is(status.nodes[0]!.lag, 0);
  assert.is(status.nodes[0]!.health, "ok");
});

test("slaves refuse apply over HTTP with NOT_MASTER", async () => {
  const tokens = pair.slaveHome.tokens.find((t) => t.role === "operator")!.token;
  const res = await pair.apps["s1.test:8741"]!.fetch(
    new Request("http://s1.test:8741/api/v1/apply?reason=x", {
      method: "POST",
      headers: { authorization: `Bearer ${tokens}`, "content-type": "application/xml" },
      body: SAMPLE,
    }),
  );
  assert.is(res.status, 403);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, "NOT_MASTER");
});

test.run();
