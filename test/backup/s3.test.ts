import { promises as fsp } from "node:fs";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { recover } from "../../src/api/recover.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remoteList } from "../../src/api/remote-list.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { verify } from "../../src/api/verify.ts";
import { readPushRecords, readRemotes } from "../../src/backup/remote-store.ts";
import { createS3Store, type ObjectStore } from "../../src/backup/s3-adapter.ts";
import { pushS3 } from "../../src/backup/s3-push.ts";
import { s3RemoteSchema } from "../../src/backup/s3-settings.ts";
import { knownSigningKeys } from "../../src/core/change-signer.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import type { HomeContext } from "../../src/home/context.ts";
import { livePath } from "../../src/home/layout.ts";
import { openHome } from "../../src/home/open-home.ts";
import { safesquid } from "../../src/profiles/safesquid.ts";
import { gitText, gitTry } from "../helpers/git-cli.ts";
import { S3RVER_CREDENTIALS, type S3Server, startS3Server } from "../helpers/s3-server.ts";
import { cli, TEST_KEY, type TempHome, tempDir, tempHome } from "../helpers/temp-home.ts";
import { exists, PYCA, variant } from "./backup-fixtures.ts";

const POINTS = 200;
const PER_PUSH = 5;
let s3: S3Server;
let origin: TempHome;
let scratch: string;
let client: S3Client;
let bare: string;
const env = { CONFVAULT_ACTIVATION_KEY: TEST_KEY, ...S3RVER_CREDENTIALS };
const live = (root: string, kind: "config" | "cert" | "key") => livePath(root, safesquid.live[kind]!);
const s3opts = () => ({ endpoint: s3.endpoint, region: "us-east-1", pathStyle: true });

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/`, ContinuationToken: token }),
    );
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

async function getObject(key: string): Promise<Uint8Array> {
  const r = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return await r.Body!.transformToByteArray();
}

async function apply(ctx: HomeContext, n: number, withCert = false) {
  return await applyConfig({
    ctx,
    config: variant(1000 + n),
    ...(withCert && PYCA ? PYCA : {}),
    reason: `change ${n}`,
    actor: "tester",
    tag: `rp/t${String(n).padStart(4, "0")}`,
  });
}

async function store(prefix: string): Promise<ObjectStore> {
  return await createS3Store({
    location: { bucket: s3.bucket, prefix },
    settings: s3RemoteSchema.parse(s3opts()),
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
}

test.before(async () => {
  s3 = await startS3Server();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  origin = await tempHome();
  scratch = await tempDir("confvault-s3-test-");
  bare = path.join(scratch, "offsite.git");
  gitText(bare, "init", "--quiet", "--bare", "--initial-branch=main", bare);
});
test.after(async () => {
  client.destroy();
  await s3.close();
  await origin.cleanup();
  await fsp.rm(scratch, { recursive: true, force: true });
});

test(`${POINTS} restore points pushed incrementally: one bundle per push holding only the new refs, a signed index`, async () => {
  await remoteAdd({ ctx: origin.ctx, name: "bucket", url: `s3://${s3.bucket}/main`, s3: s3opts() });
  await remoteAdd({ ctx: origin.ctx, name: "git", url: bare });
  const defs = await readRemotes(origin.ctx.layout.remotes);
  assert.not.ok(JSON.stringify(defs).includes("S3RVER"), "no credential in remotes.json");
  for (let i = 0; i < POINTS; i++) {
    await apply(origin.ctx, i, i === 0);
    if ((i + 1) % PER_PUSH !== 0) continue;
    const phases = new Set<string>();
    const [r] = await remotePush({
      ctx: origin.ctx,
      env,
      name: "bucket",
      onProgress: (p) => phases.add(p.phase),
    });
    assert.ok(r?.ok, JSON.stringify(r));
    assert.equal([...phases].sort(), ["bundle", "index", "upload"], "progress for the TTY bar");
    assert.is(r?.transport, "s3");
    assert.is(r?.updated.length, PER_PUSH + 1, "main and the new restore points");
  }
  const again = await remotePush({ ctx: origin.ctx, env, name: "bucket" });
  assert.equal(again[0]?.updated, [], "nothing new: up to date");
  const bundles = await keys("main/bundles");
  const index = await keys("main/index");
  assert.is(bundles.length, POINTS / PER_PUSH);
  assert.is(index.length, POINTS / PER_PUSH);
  const last = JSON.parse(new TextDecoder().decode(await getObject(index.at(-1)!)));
  assert.is(Object.keys(last.tags).length, POINTS);
  assert.is(last.bundles.length, POINTS / PER_PUSH);
  assert.is(last.bundles[0].prerequisites.length, 0, "the first bundle is complete");
  for (const b of last.bundles.slice(1)) {
    assert.is(Object.keys(b.refs).length, PER_PUSH + 1);
    assert.is(b.prerequisites.length, 1, "builds on the previous main");
  }
  assert.is(last.signature.alg, "ed25519");
  const records = await readPushRecords(origin.ctx.layout.remoteState);
  assert.ok(records.bucket?.ok);
  const listed = await remoteList({ ctx: origin.ctx });
  assert.is(listed.find((r) => r.name === "bucket")?.transport, "s3");
  // The same history to a git remote, for the comparison below.
  const [g] = await remotePush({ ctx: origin.ctx, env, name: "git" });
  assert.ok(g?.ok, JSON.stringify(g));
});

test("recover --from s3:// (CLI) onto a fresh home: live files byte-identical to a git-remote recover, full history", async () => {
  const fromGit = await recover({
    dir: path.join(scratch, "from-git"),
    from: bare,
    liveRoot: path.join(scratch, "live-git"),
    env,
  });
  const home = path.join(scratch, "from-s3");
  const liveRoot = path.join(scratch, "live-s3");
  const r = await cli(
    [
      "--home",
      home,
      "--json",
      "recover",
      "--from",
      `s3://${s3.bucket}/main`,
      "--endpoint",
      s3.endpoint,
      "--path-style",
      "--live-root",
      liveRoot,
    ],
    env,
  );
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.commit, fromGit.commit);
  assert.is(out.shallow, false);
  for (const kind of ["config", "cert", "key"] as const) {
    const a = await fsp.readFile(live(liveRoot, kind)).catch(() => undefined);
    const b = await fsp.readFile(live(path.join(scratch, "live-git"), kind)).catch(() => undefined);
    const o = await fsp.readFile(live(origin.liveRoot, kind)).catch(() => undefined);
    assert.ok(a !== undefined || kind !== "config", kind);
    assert.equal(a, b, `${kind}: s3 recover = git recover`);
    assert.equal(a, o, `${kind}: = the original's`);
  }
  const ctx = await openHome({ dir: home, env });
  const points = (await listRestorePoints({ ctx })).map((p) => p.tag).sort();
  assert.is(points.length, POINTS);
  assert.equal(points, (await listRestorePoints({ ctx: origin.ctx })).map((p) => p.tag).sort());
  assert.is(gitText(ctx.layout.gitdir, "rev-parse", "main").trim(), out.commit);
  assert.is(gitText(ctx.layout.gitdir, "symbolic-ref", "HEAD").trim(), "refs/heads/main");
  const origin2 = (await readRemotes(ctx.layout.remotes))[0]!;
  assert.is(origin2.url, `s3://${s3.bucket}/main`);
  assert.is(origin2.s3?.endpoint, s3.endpoint);
  // The recovered home pushes on to the same bucket (same activation key and cluster: same signer).
  await apply(ctx, POINTS);
  const [pushed] = await remotePush({ ctx, env });
  assert.ok(pushed?.ok, JSON.stringify(pushed));
  assert.equal(pushed?.updated, ["main", `rp/t${String(POINTS).padStart(4, "0")}`]);
});

test("the downloaded bundles are plain git: clone the first, fetch the rest in order, git fsck --strict passes", async () => {
  const dir = path.join(scratch, "plain");
  await fsp.mkdir(dir);
  const index = await keys("main/index");
  const last = JSON.parse(new TextDecoder().decode(await getObject(index.at(-1)!)));
  const files: string[] = [];
  for (const [i, b] of (last.bundles as Array<{ key: string }>).entries()) {
    const file = path.join(dir, `${String(i).padStart(4, "0")}.bundle`);
    await fsp.writeFile(file, await getObject(`main/${b.key}`));
    files.push(file);
  }
  const clone = path.join(dir, "clone");
  const c = gitTry(null, "clone", "--quiet", files[0]!, clone);
  assert.is(c.status, 0, c.output);
  const gitdir = path.join(clone, ".git");
  for (const f of files.slice(1)) {
    const r = gitTry(gitdir, "fetch", "--quiet", "--update-head-ok", f, "+refs/*:refs/*");
    assert.is(r.status, 0, r.output);
  }
  const fsck = gitTry(gitdir, "fsck", "--strict", "--no-dangling");
  assert.is(fsck.status, 0, fsck.output);
  assert.is(gitText(gitdir, "rev-parse", "refs/heads/main").trim(), last.main);
  assert.is(gitText(gitdir, "tag", "-l", "rp/*").trim().split("\n").length, POINTS + 1);
  assert.ok(
    await exists(path.join(clone, "config.xml")),
    "a working tree was checked out from the first bundle",
  );
});

test("two concurrent pushers to one bucket: both records kept, merged, nothing lost", async () => {
  // B is a copy of the origin home; the origin then moves on by 5 points. Both push at once
  // to an empty prefix, each through its own client; a barrier makes both read the (empty)
  // index before either writes, so the race happens every time.
  const copyDir = path.join(scratch, "copy");
  await fsp.cp(origin.dir, copyDir, { recursive: true });
  const b = await openHome({ dir: copyDir, env });
  for (let i = POINTS + 1; i <= POINTS + 5; i++) await apply(origin.ctx, i);
  let waiting = 0;
  let release: () => void = () => {};
  const barrier = new Promise<void>((r) => {
    release = r;
  });
  const racing = async (ctx: HomeContext) => {
    const real = await store("race");
    let first = true;
    const wrapped: ObjectStore = {
      ...real,
      where: real.where,
      list: async (dir) => {
        const listed = await real.list(dir);
        if (first) {
          first = false;
          if (++waiting === 2) release();
          await barrier;
        }
        return listed;
      },
      get: (k) => real.get(k),
      putNew: (k, body, o) => real.putNew(k, body, o),
    };
    const k = await ctx.keys();
    return await pushS3({
      engine: ctx.engine,
      store: wrapped,
      remote: "race",
      signer: k.signer,
      trusted: await knownSigningKeys(ctx),
      cluster: ctx.settings.cluster,
      node: ctx.settings.node,
      now: () => new Date(),
    });
  };
  const [ra, rb] = await Promise.all([racing(origin.ctx), racing(b)]);
  assert.ok(ra.ok, JSON.stringify(ra));
  assert.ok(rb.ok, JSON.stringify(rb));
  const index = await keys("race/index");
  assert.is(index.filter((k) => k.includes("/000000000001-")).length, 2, "both wrote a record at sequence 1");
  const r = await recover({
    dir: path.join(scratch, "race-home"),
    from: `s3://${s3.bucket}/race`,
    s3: s3opts(),
    liveRoot: path.join(scratch, "race-live"),
    env,
  });
  assert.is(r.commit, await origin.ctx.engine.branchTip("main"));
  const ctx = await openHome({ dir: r.home, env });
  assert.is((await listRestorePoints({ ctx })).length, (await listRestorePoints({ ctx: origin.ctx })).length);
  assert.equal(
    await fsp.readFile(live(r.settings.liveRoot, "config")),
    Buffer.from(variant(1000 + POINTS + 5)),
  );
  // Whoever saw the other's record wrote a merge; if only B saw A's (B cannot merge a main it
  // lacks), the origin's next push writes it. Either way one head over both remains.
  const k = await origin.ctx.keys();
  const next = await pushS3({
    engine: origin.ctx.engine,
    store: await store("race"),
    remote: "race",
    signer: k.signer,
    trusted: await knownSigningKeys(origin.ctx),
    cluster: "test",
    node: "node1",
    now: () => new Date(),
  });
  assert.ok(next.ok, JSON.stringify(next));
  const after = await keys("race/index");
  const top = JSON.parse(new TextDecoder().decode(await getObject(after.at(-1)!)));
  assert.is(top.seq, 2, "one merge record");
  assert.equal(
    [...top.parents].sort(),
    index
      .filter((x) => x.includes("/000000000001-"))
      .map((x) => x.replace(/^race\//, ""))
      .sort(),
    "the merge names both racing records",
  );
  assert.is(Object.keys(top.tags).length, POINTS + 5);
  assert.is(top.main, await origin.ctx.engine.branchTip("main"));
});

test("verify --remote (CLI) passes, then catches a corrupted bundle and a forged index; recover refuses both", async () => {
  const ok = await cli(["--home", origin.dir, "verify", "--remote", "bucket"], env);
  assert.is(ok.code, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /git fsck --strict of the rebuilt history: clean/);
  assert.match(ok.stdout, /verified s3:\/\/confvault\/main: \d+ bundle\(s\)/);
  // Corrupt one bundle in the middle: same size, one byte flipped near the end (pack data).
  const bundles = await keys("main/bundles");
  const victim = bundles[Math.floor(bundles.length / 2)]!;
  const bytes = await getObject(victim);
  bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0xff;
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: victim, Body: bytes }));
  const bad = await verify({ ctx: origin.ctx, remote: "bucket", env });
  assert.not.ok(bad.ok);
  const failed = bad.remote!.bundles.filter((b) => !b.ok);
  assert.ok(failed.length >= 1);
  assert.is(failed[0]!.key, victim.replace(/^main\//, ""));
  assert.match(failed[0]!.error!.message, /does not match the index/);
  const cliBad = await cli(["--home", origin.dir, "verify", "--remote", "bucket"], env);
  assert.is(cliBad.code, 1);
  assert.match(cliBad.stdout, /FAIL {2}bundles\//);
  try {
    await recover({
      dir: path.join(scratch, "corrupt-home"),
      from: `s3://${s3.bucket}/main`,
      s3: s3opts(),
      liveRoot: path.join(scratch, "corrupt-live"),
      env,
    });
    assert.unreachable("recover of a corrupted bucket");
  } catch (err) {
    assert.ok(isConfvaultError(err, "VERIFY_FAILED"), String(err));
  }
  assert.not.ok(await exists(path.join(scratch, "corrupt-home", "settings.json")));
  // Another activation key derives another signing key: WRONG_KEY, nothing written.
  try {
    await recover({
      dir: path.join(scratch, "wrong-key-home"),
      from: `s3://${s3.bucket}/race`,
      s3: s3opts(),
      liveRoot: path.join(scratch, "wrong-key-live"),
      env: { ...env, CONFVAULT_ACTIVATION_KEY: "another-activation-key-0123456789" },
    });
    assert.unreachable("recover with another activation key");
  } catch (err) {
    assert.ok(isConfvaultError(err, "WRONG_KEY"), String(err));
  }
  assert.not.ok(await exists(path.join(scratch, "wrong-key-home", "settings.json")));
  // A forged index (main moved by someone without the activation key) fails its signature.
  const index = await keys("race/index");
  const top = index.at(-1)!;
  const forged = JSON.parse(new TextDecoder().decode(await getObject(top)));
  forged.main = "0".repeat(40);
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: top, Body: JSON.stringify(forged) }));
  try {
    await recover({
      dir: path.join(scratch, "forged-home"),
      from: `s3://${s3.bucket}/race`,
      s3: s3opts(),
      liveRoot: path.join(scratch, "forged-live"),
      env,
    });
    assert.unreachable("recover of a forged index");
  } catch (err) {
    assert.ok(isConfvaultError(err, "VERIFY_FAILED"), String(err));
    assert.match((err as Error).message, /bad signature/);
  }
});

test("object lock on every object; past fullBundleAfter a push writes one complete bundle; credential file; typed errors, recorded", async () => {
  const h = await tempHome();
  try {
    await remoteAdd({
      ctx: h.ctx,
      name: "locked",
      url: `s3://${s3.bucket}/locked`,
      s3: { ...s3opts(), fullBundleAfter: 3, objectLock: { mode: "GOVERNANCE", days: 7 } },
    });
    for (let i = 1; i <= 5; i++) {
      await apply(h.ctx, i);
      const [r] = await remotePush({ ctx: h.ctx, env });
      assert.ok(r?.ok, JSON.stringify(r));
    }
    const top = JSON.parse(new TextDecoder().decode(await getObject((await keys("locked/index")).at(-1)!)));
    assert.is(
      top.bundles.length,
      2,
      "push 4 replaced the 3 increments with one complete bundle, push 5 added one",
    );
    assert.is(top.bundles[0].prerequisites.length, 0);
    assert.is(Object.keys(top.bundles[0].refs).length, 4 + 2, "4 restore points, main and HEAD");
    assert.is((await keys("locked/bundles")).length, 5, "older bundles are kept, never deleted");
    const back = await recover({
      dir: path.join(scratch, "locked-home"),
      from: `s3://${s3.bucket}/locked`,
      s3: s3opts(),
      liveRoot: path.join(scratch, "locked-live"),
      env,
    });
    assert.equal(await fsp.readFile(live(back.settings.liveRoot, "config")), Buffer.from(variant(1005)));
    assert.ok((await verify({ ctx: h.ctx, remote: "locked", env })).ok);
    try {
      await remotePush({ ctx: h.ctx, env: { CONFVAULT_ACTIVATION_KEY: TEST_KEY } });
      assert.unreachable();
    } catch (err) {
      assert.ok(isConfvaultError(err, "REMOTE_FAILED"), String(err));
    }
    const rec = (await readPushRecords(h.ctx.layout.remoteState)).locked;
    assert.is(rec?.ok, false);
    assert.match(rec?.error?.message ?? "", /no S3 credentials/);
    // Credentials kept in a 0600 file (CLI --credentials-stdin): pushes without AWS_* set; remove deletes it.
    const added = await cli(
      [
        "--home",
        h.dir,
        "remote",
        "add",
        "filed",
        `s3://${s3.bucket}/filed`,
        "--endpoint",
        s3.endpoint,
        "--path-style",
        "--full-bundle-after",
        "10",
        "--credentials-stdin",
      ],
      { CONFVAULT_ACTIVATION_KEY: TEST_KEY },
      "S3RVER S3RVER\n",
    );
    assert.is(added.code, 0, added.stderr);
    const credFile = path.join(h.ctx.layout.remoteTokens, "filed.s3-credentials");
    assert.is((await fsp.stat(credFile)).mode & 0o777, 0o600);
    assert.not.ok((await fsp.readFile(h.ctx.layout.remotes, "utf8")).includes("S3RVER"));
    const filed = (await readRemotes(h.ctx.layout.remotes)).find((r) => r.name === "filed");
    assert.equal(filed?.s3, {
      endpoint: s3.endpoint,
      region: "us-east-1",
      pathStyle: true,
      fullBundleAfter: 10,
    });
    const pushed = await cli(["--home", h.dir, "remote", "push", "filed"], {
      CONFVAULT_ACTIVATION_KEY: TEST_KEY,
    });
    assert.is(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /ok {4}filed {2}6 ref\(s\) pushed \(main moved\) {2}via s3/);
    const removed = await cli(["--home", h.dir, "remote", "remove", "filed"], {
      CONFVAULT_ACTIVATION_KEY: TEST_KEY,
    });
    assert.is(removed.code, 0, removed.stderr);
    assert.not.ok(await exists(credFile));
    try {
      await remoteAdd({ ctx: h.ctx, name: "x", url: "s3://Bad_Bucket/p", s3: s3opts() });
      assert.unreachable();
    } catch (err) {
      assert.ok(isConfvaultError(err, "BAD_INPUT"), String(err));
    }
  } finally {
    await h.cleanup();
  }
});

test.run();
