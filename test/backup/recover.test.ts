import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { recover } from "../../src/api/recover.ts";
import { remoteAdd } from "../../src/api/remote-add.ts";
import { remotePush } from "../../src/api/remote-push.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { homeLayout, livePath } from "../../src/home/layout.ts";
import { openHome } from "../../src/home/open-home.ts";
import { safesquid } from "../../src/profiles/safesquid.ts";
import { type GitHttpServer, startGitHttpServer } from "../helpers/git-http-server.ts";
import { cli, TEST_KEY, type TempHome, tempDir } from "../helpers/temp-home.ts";
import {
  commitReplacedFile,
  exists,
  homeWithHistory,
  PYCA,
  SAMPLE,
  snapshotTree,
  variant,
} from "./backup-fixtures.ts";

const TOKEN = "recover-token-0123456789";
let server: GitHttpServer;
let origin: TempHome;
let tags: string[];
let url: string;
let scratch: string;

test.before(async () => {
  server = await startGitHttpServer({ auth: { basicPasswordOnly: TOKEN } });
  ({ h: origin, tags } = await homeWithHistory(3, { withCert: true }));
  url = await server.createRepo("offsite.git");
  await remoteAdd({ ctx: origin.ctx, name: "offsite", url, tokenEnv: "T" });
  await remotePush({ ctx: origin.ctx, env: { T: TOKEN } });
});
test.after(async () => {
  await server.close();
  await origin.cleanup();
});
test.before.each(async () => {
  scratch = await tempDir("confvault-recover-");
});
test.after.each(async () => {
  await fsp.rm(scratch, { recursive: true, force: true });
});

const env = { CONFVAULT_ACTIVATION_KEY: TEST_KEY, T: TOKEN };
const live = (root: string, kind: "config" | "cert" | "key") => livePath(root, safesquid.live[kind]!);
const read = (p: string) => fsp.readFile(p);

async function copyRemote(name: string): Promise<string> {
  await fsp.cp(server.repoDir("offsite.git"), server.repoDir(name), { recursive: true });
  return server.repoUrl(name);
}

async function expectRefused(
  code: string,
  options: Parameters<typeof recover>[0],
  liveRoot: string,
): Promise<void> {
  await fsp.mkdir(path.join(liveRoot, "usr/local/safesquid/security/policies"), { recursive: true });
  await fsp.writeFile(live(liveRoot, "config"), "<safesquid>the appliance's current file</safesquid>");
  const before = await snapshotTree(liveRoot);
  try {
    await recover(options);
    assert.unreachable(`expected ${code}`);
  } catch (err) {
    assert.ok(isConfvaultError(err), String(err));
    assert.is((err as { code: string }).code, code, (err as Error).message);
  }
  assert.not.ok(await exists(options.dir), "the half-made home is removed");
  assert.equal(await snapshotTree(liveRoot), before, "live files untouched");
}

(PYCA ? test : test.skip)(
  "recover through the CLI into an empty folder gives back config.xml, cert and key byte for byte (pyca pair)",
  async () => {
    const home = path.join(scratch, "home");
    const liveRoot = path.join(scratch, "live");
    const r = await cli(
      [
        "--home",
        home,
        "recover",
        "--from",
        url,
        "--token-env",
        "T",
        "--live-root",
        liveRoot,
        "--ref",
        tags[0]!,
      ],
      env,
    );
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /recovered rp\/t0/);
    assert.equal(await read(live(liveRoot, "config")), Buffer.from(variant(120)));
    assert.is((await read(live(liveRoot, "cert"))).toString(), PYCA!.cert);
    assert.is((await read(live(liveRoot, "key"))).toString(), PYCA!.key);
    assert.is((await fsp.stat(live(liveRoot, "key"))).mode & 0o777, 0o600);
  },
);

test("recover of the latest point: live files equal the original's, and the home works (history, apply, push to origin)", async () => {
  const home = path.join(scratch, "home");
  const liveRoot = path.join(scratch, "live");
  await fsp.mkdir(home);
  // A copy of the remote: this test pushes to its origin, the others need the original untouched.
  const from = await copyRemote("roundtrip.git");
  const r = await recover({ dir: home, from, liveRoot, env, tokenEnv: "T" });
  for (const kind of ["config", "cert", "key"] as const) {
    const mine = await read(live(liveRoot, kind)).catch(() => undefined);
    const theirs = await read(live(origin.liveRoot, kind)).catch(() => undefined);
    assert.equal(mine, theirs, kind);
  }
  assert.equal(await read(live(liveRoot, "config")), Buffer.from(variant(122)));
  assert.is(r.shallow, false);
  assert.is(r.settings.cluster, "test");
  assert.is(r.settings.node, "node1");
  assert.is(r.settings.profile, "safesquid");
  const ctx = await openHome({ dir: home, env });
  assert.equal((await listRestorePoints({ ctx })).map((p) => p.tag).sort(), [...tags].sort());
  assert.not.ok(await exists(path.join(ctx.layout.gitdir, "shallow")));
  const settingsText = await fsp.readFile(homeLayout(home).settings, "utf8");
  assert.not.ok(settingsText.includes(TOKEN));
  const next = await applyConfig({ ctx, config: variant(500), reason: "after recovery", actor: "t" });
  const [pushed] = await remotePush({ ctx, env });
  assert.ok(pushed?.ok, JSON.stringify(pushed));
  assert.is(pushed?.remote, "origin");
  assert.ok(pushed?.updated.includes(next.tag));
});

test("--ref rp/<older> recovers that point and warns that it is not the latest", async () => {
  const r = await recover({
    dir: path.join(scratch, "home"),
    from: url,
    ref: tags[1],
    liveRoot: path.join(scratch, "live"),
    env,
    tokenEnv: "T",
  });
  assert.equal(await read(live(path.join(scratch, "live"), "config")), Buffer.from(variant(121)));
  assert.ok(
    r.warnings.some((w) => w.includes(tags[1]!)),
    r.warnings.join("\n"),
  );
});

test("a wrong activation key is WRONG_KEY and nothing is written", async () => {
  const liveRoot = path.join(scratch, "live");
  await expectRefused(
    "WRONG_KEY",
    {
      dir: path.join(scratch, "home"),
      from: url,
      liveRoot,
      env: { ...env, CONFVAULT_ACTIVATION_KEY: "another-key-0123456789abcdef" },
      tokenEnv: "T",
    },
    liveRoot,
  );
});

test("a bundle with one byte changed is SEAL_TAMPERED, --force does not help, nothing is written", async () => {
  const tampered = await copyRemote("tampered.git");
  await commitReplacedFile(server.repoDir("tampered.git"), "secrets.sealed.age", (b) => {
    const out = Buffer.from(b);
    out[out.length - 20] ^= 0x01;
    return out;
  });
  const liveRoot = path.join(scratch, "live");
  await expectRefused(
    "SEAL_TAMPERED",
    { dir: path.join(scratch, "home"), from: tampered, liveRoot, env, tokenEnv: "T" },
    liveRoot,
  );
  await expectRefused(
    "SEAL_TAMPERED",
    { dir: path.join(scratch, "home"), from: tampered, liveRoot, env, tokenEnv: "T", force: true },
    liveRoot,
  );
});

test("config.xml edited on the remote is refused (MANIFEST_MISMATCH); --force recovers it and says so on stderr", async () => {
  const edited = await copyRemote("edited.git");
  await commitReplacedFile(server.repoDir("edited.git"), "config.xml", (b) =>
    Buffer.from(
      b
        .toString("utf8")
        .replace("<request_timeout>122</request_timeout>", "<request_timeout>7</request_timeout>"),
    ),
  );
  const liveRoot = path.join(scratch, "live");
  await expectRefused(
    "MANIFEST_MISMATCH",
    { dir: path.join(scratch, "home"), from: edited, liveRoot, env, tokenEnv: "T" },
    liveRoot,
  );
  const home = path.join(scratch, "forced");
  const r = await cli(
    ["--home", home, "recover", "--from", edited, "--token-env", "T", "--live-root", liveRoot, "--force"],
    env,
  );
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: --force/);
  assert.match(r.stderr, /config\.xml.*did not match the manifest/);
  assert.match((await read(live(liveRoot, "config"))).toString(), /<request_timeout>7<\/request_timeout>/);
});

test("a restore point of another cluster is refused unless --allow-foreign-cluster", async () => {
  const liveRoot = path.join(scratch, "live");
  await expectRefused(
    "FOREIGN_CLUSTER",
    { dir: path.join(scratch, "home"), from: url, liveRoot, env, tokenEnv: "T", cluster: "elsewhere" },
    liveRoot,
  );
  const r = await recover({
    dir: path.join(scratch, "home"),
    from: url,
    liveRoot,
    env,
    tokenEnv: "T",
    cluster: "elsewhere",
    allowForeignCluster: true,
  });
  assert.is(r.settings.cluster, "elsewhere");
  assert.ok(r.warnings.some((w) => w.includes("--allow-foreign-cluster")));
  assert.equal(await read(live(liveRoot, "config")), Buffer.from(variant(122)));
});

test("recover refuses a folder that already holds something, and a remote it cannot read", async () => {
  const home = path.join(scratch, "home");
  await fsp.mkdir(home);
  await fsp.writeFile(path.join(home, "keep.txt"), "mine");
  try {
    await recover({ dir: home, from: url, liveRoot: path.join(scratch, "live"), env, tokenEnv: "T" });
    assert.unreachable();
  } catch (err) {
    assert.ok(isConfvaultError(err, "HOME_EXISTS"), String(err));
  }
  assert.is(await fsp.readFile(path.join(home, "keep.txt"), "utf8"), "mine");
  const liveRoot = path.join(scratch, "live");
  await expectRefused(
    "REMOTE_FAILED",
    {
      dir: path.join(scratch, "h2"),
      from: url,
      liveRoot,
      env: { ...env, T: "bad-token-000000000" },
      tokenEnv: "T",
    },
    liveRoot,
  );
  await expectRefused(
    "REF_NOT_FOUND",
    { dir: path.join(scratch, "h3"), from: url, ref: "rp/nope", liveRoot, env, tokenEnv: "T" },
    liveRoot,
  );
});

test("--keep-local keeps this machine's node-local sections", async () => {
  const liveRoot = path.join(scratch, "live");
  await fsp.mkdir(path.dirname(live(liveRoot, "config")), { recursive: true });
  const text = new TextDecoder().decode(SAMPLE);
  const mine = /<hostname>[^<]*<\/hostname>/.exec(text)
    ? text.replace(/<hostname>[^<]*<\/hostname>/, "<hostname>new-box</hostname>")
    : undefined;
  if (!mine) return; // the sample has no hostname element to keep
  await fsp.writeFile(live(liveRoot, "config"), mine);
  await recover({
    dir: path.join(scratch, "home"),
    from: url,
    liveRoot,
    env,
    tokenEnv: "T",
    keepLocal: true,
  });
  assert.match((await read(live(liveRoot, "config"))).toString(), /<hostname>new-box<\/hostname>/);
});

test.run();
