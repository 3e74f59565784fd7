import { execFileSync, spawnSync } from "node:child_process";
import fs, { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { verify } from "../../src/api/verify.ts";
import { changeSigner } from "../../src/core/change-signer.ts";
import { allowedSignersPath, readAllowedSigners } from "../../src/home/allowed-signers.ts";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import type { Person } from "../../src/repo/engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { formatCommit, splitCommitSignature, splitTagSignature } from "../../src/repo/git-objects.ts";
import { createSigner, parseSshPublicKey } from "../../src/seal/signing-key.ts";
import {
  gitSshSigner,
  parseSshSignature,
  sshSign,
  verifySshSignature,
} from "../../src/seal/ssh-signature.ts";
import { gitTestEnv, gitText, gitTry, tempDir } from "../helpers/git-cli.ts";
import { ROOT, tempHome } from "../helpers/temp-home.ts";

const enc = new TextEncoder();
const who: Person = { name: "Alice Admin", email: "confvault@node1", timestamp: 1_790_000_000 };
const SAMPLE = new Uint8Array(fs.readFileSync(path.join(ROOT, "templates/sample/safesquid-config.xml")));

/** git with SSH signature checking pointed at an allowed-signers file. */
function sigGit(gitdir: string, allowed: string, ...args: string[]) {
  return gitTry(gitdir, "-c", "gpg.format=ssh", "-c", `gpg.ssh.allowedSignersFile=${allowed}`, ...args);
}

async function signedRepo() {
  const dir = tempDir("confvault-signing-");
  const gitdir = `${dir.path}/repo.git`;
  const signer = await createSigner(new Uint8Array(32).fill(7));
  const engine = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }), sign: gitSshSigner(signer) });
  await engine.init();
  const allowed = `${dir.path}/allowed_signers`;
  fs.writeFileSync(allowed, `confvault@node1 namespaces="git" ${signer.sshPublicKey}\n`);
  return { dir, gitdir, signer, engine, allowed };
}

test("engine commits and tags carry SSH signatures that git verify-commit / verify-tag accept; fsck --strict clean", async () => {
  const r = await signedRepo();
  try {
    const commit = await r.engine.commitFiles({
      branch: "main",
      files: { "config.xml": enc.encode("<a/>") },
      message: "first\n\nConfvault-Reason: test",
      author: who,
      expectedParent: null,
      tag: { name: "rp/one", message: "first point" },
    });
    await r.engine.createTag({ name: "rp/two", commit, message: "second point", tagger: who });
    assert.match(
      gitText(r.gitdir, "cat-file", "commit", commit),
      /\ngpgsig -----BEGIN SSH SIGNATURE-----\n /,
    );
    for (const args of [
      ["verify-commit", "main"],
      ["verify-tag", "rp/one"],
      ["verify-tag", "rp/two"],
    ]) {
      const v = sigGit(r.gitdir, r.allowed, ...args);
      assert.is(v.status, 0, `${args.join(" ")}: ${v.output}`);
      assert.match(v.output, /Good "git" signature for confvault@node1 with ED25519 key/);
    }
    assert.is(gitTry(r.gitdir, "fsck", "--strict", "--no-progress").status, 0);
    // Readers see the tag message, never the signature block behind it.
    const messages = (await r.engine.listTags()).map((t) => t.message).sort();
    assert.equal(messages, ["first point\n", "second point\n"]);
  } finally {
    r.dir.cleanup();
  }
});

test("objects signed by git commit -S / git tag -s (gpg.format=ssh, ssh-keygen key) split and verify in process byte-exactly", async () => {
  const dir = tempDir("confvault-sshgit-");
  try {
    const key = `${dir.path}/id`;
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key]);
    const pub = parseSshPublicKey(fs.readFileSync(`${key}.pub`, "utf8"))!;
    const work = `${dir.path}/w`;
    const g = (...args: string[]) =>
      execFileSync("git", ["-C", work, "-c", "gpg.format=ssh", "-c", `user.signingkey=${key}`, ...args], {
        env: gitTestEnv,
        encoding: "utf8",
      });
    fs.mkdirSync(work);
    g("init", "-q");
    fs.writeFileSync(`${work}/f`, "x\n");
    g("add", "f");
    g("commit", "-q", "-S", "-m", "signed by git");
    g("tag", "-s", "-m", "tag by git", "t1");
    const rawCommit = execFileSync("git", ["-C", work, "cat-file", "commit", "HEAD"], { env: gitTestEnv });
    const c = splitCommitSignature(new Uint8Array(rawCommit));
    assert.ok(c.signature);
    assert.is((await verifySshSignature(c.signature!, c.payload, [pub])).status, "valid");
    // Putting the signature back the way the engine writes it reproduces git's exact bytes.
    const info = gitText(`${work}/.git`, "log", "-1", "--format=%T%n%an%n%ae%n%at");
    const [tree, name, email, at] = info.trim().split("\n");
    const person = { name: name!, email: email!, timestamp: Number(at), timezoneOffset: 0 };
    const rebuilt = formatCommit({
      tree: tree!,
      parents: [],
      author: person,
      committer: person,
      message: "signed by git",
      signature: c.signature!,
    });
    assert.is(Buffer.compare(Buffer.from(rebuilt), rawCommit), 0);
    const rawTag = execFileSync("git", ["-C", work, "cat-file", "tag", "t1"], { env: gitTestEnv });
    const t = splitTagSignature(new Uint8Array(rawTag));
    assert.is((await verifySshSignature(t.signature!, t.payload, [pub])).status, "valid");
    // An unknown key and a changed payload are told apart.
    assert.is((await verifySshSignature(t.signature!, t.payload, [])).status, "unknown-key");
    const changed = enc.encode(`${new TextDecoder().decode(t.payload)}x`);
    assert.is((await verifySshSignature(t.signature!, changed, [pub])).status, "invalid");
  } finally {
    dir.cleanup();
  }
});

test("sshSign output verifies with ssh-keygen -Y verify (namespace git)", async () => {
  const dir = tempDir("confvault-sshsig-");
  try {
    const signer = await createSigner(new Uint8Array(32).fill(3));
    const data = enc.encode("any bytes\0\xff\n");
    const armored = await sshSign(signer, data);
    assert.match(
      armored,
      /^-----BEGIN SSH SIGNATURE-----\n(?:[A-Za-z0-9+/=]{1,70}\n)+-----END SSH SIGNATURE-----\n$/,
    );
    assert.equal(parseSshSignature(armored)?.publicKey, signer.publicKey);
    fs.writeFileSync(`${dir.path}/sig`, armored);
    fs.writeFileSync(`${dir.path}/allowed`, `me ${signer.sshPublicKey}\n`);
    const v = spawnSync(
      "ssh-keygen",
      ["-Y", "verify", "-f", `${dir.path}/allowed`, "-I", "me", "-n", "git", "-s", `${dir.path}/sig`],
      { input: data },
    );
    assert.is(v.status, 0, `${v.stdout}${v.stderr}`);
  } finally {
    dir.cleanup();
  }
});

test("after applies, a fresh git clone verifies main and every restore point; hand-made commits and altered tags fail", async () => {
  const h = await tempHome();
  const work = tempDir("confvault-clone-");
  try {
    const tags: string[] = [];
    for (let i = 0; i < 3; i++) {
      const config = enc.encode(new TextDecoder().decode(SAMPLE).replace("</", `<!-- change ${i} --></`));
      tags.push((await applyConfig({ ctx: h.ctx, config, reason: `change ${i}`, actor: "alice" })).tag);
    }
    const allowed = allowedSignersPath(h.dir);
    const lines = await readAllowedSigners(allowed);
    assert.is(lines.length, 1);
    assert.is(lines[0]!.principals, "confvault@node1");
    // The home's own repository is configured for git's checks.
    assert.is(gitText(h.ctx.layout.gitdir, "config", "gpg.format").trim(), "ssh");
    assert.is(gitText(h.ctx.layout.gitdir, "config", "gpg.ssh.allowedSignersFile").trim(), allowed);
    assert.is(gitTry(h.ctx.layout.gitdir, "verify-commit", "main").status, 0);
    // A fresh clone knows nothing but the printed allowed-signers lines.
    const clone = `${work.path}/clone`;
    execFileSync("git", ["clone", "-q", h.ctx.layout.gitdir, clone], { env: gitTestEnv });
    const copy = `${work.path}/signers`;
    fs.writeFileSync(copy, `${lines.map((l) => l.line).join("\n")}\n`);
    const cg = `${clone}/.git`;
    gitText(cg, "config", "gpg.format", "ssh");
    gitText(cg, "config", "gpg.ssh.allowedSignersFile", copy);
    assert.is(gitTry(cg, "verify-commit", "main").status, 0, gitTry(cg, "verify-commit", "main").output);
    for (const tag of tags) {
      const v = gitTry(cg, "verify-tag", tag);
      assert.is(v.status, 0, `${tag}: ${v.output}`);
      assert.is(gitTry(cg, "verify-commit", `${tag}^{commit}`).status, 0);
    }
    assert.is(gitTry(cg, "fsck", "--strict", "--no-progress").status, 0);
    // A commit made by hand with plain git is not signed: verify-commit fails.
    execFileSync("git", ["-C", clone, "commit", "-q", "--allow-empty", "-m", "by hand"], { env: gitTestEnv });
    assert.is.not(gitTry(cg, "verify-commit", "HEAD").status, 0);
    // A tag whose message was rewritten (object re-hashed by hand) fails verify-tag.
    const raw = gitText(cg, "cat-file", "tag", tags[0]!);
    const forged = raw.replace("Confvault-Reason: change 0", "Confvault-Reason: nothing to see");
    assert.is.not(forged, raw);
    const oid = execFileSync("git", [`--git-dir=${cg}`, "hash-object", "-w", "-t", "tag", "--stdin"], {
      env: gitTestEnv,
      input: forged,
      encoding: "utf8",
    }).trim();
    gitText(cg, "update-ref", `refs/tags/${tags[0]}`, oid);
    assert.is.not(gitTry(cg, "verify-tag", tags[0]!).status, 0);
    assert.match(gitTry(cg, "verify-tag", tags[1]!).output, /Good "git" signature/);
  } finally {
    work.cleanup();
    await h.cleanup();
  }
});

test("verify reports valid signatures, unsigned older points as unsigned (not failed), and a forged tag as failed", async () => {
  const h = await tempHome();
  try {
    const first = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "first", actor: "alice" });
    // An older, unsigned point: a tag made without a signer (as confvault did before signing).
    await h.ctx.engine.createTag({ name: "rp/older", commit: first.commit, message: "old", tagger: who });
    const all = await verify({ ctx: h.ctx, all: true });
    assert.ok(all.ok, JSON.stringify(all.points));
    const byRef = new Map(all.points.map((p) => [p.ref, p]));
    assert.is(byRef.get(first.tag)?.signatures?.commit.status, "valid");
    assert.is(byRef.get(first.tag)?.signatures?.tag?.status, "valid");
    assert.match(byRef.get(first.tag)!.checks.join("\n"), /tag signature valid \(SHA256:/);
    assert.is(byRef.get("rp/older")?.signatures?.tag?.status, "unsigned");
    assert.ok(byRef.get("rp/older")?.ok);
    // Re-hash the tag with an altered message: the signature no longer covers it.
    const gitdir = h.ctx.layout.gitdir;
    const raw = gitText(gitdir, "cat-file", "tag", first.tag);
    const forged = raw.replace("Confvault-Reason: first", "Confvault-Reason: forged");
    const oid = execFileSync("git", [`--git-dir=${gitdir}`, "hash-object", "-w", "-t", "tag", "--stdin"], {
      env: gitTestEnv,
      input: forged,
      encoding: "utf8",
    }).trim();
    gitText(gitdir, "update-ref", `refs/tags/${first.tag}`, oid);
    const ctx = (await import("../../src/home/open-home.ts")).openHome({ dir: h.dir, env: h.env });
    const one = await verify({ ctx: await ctx, ref: first.tag });
    assert.not.ok(one.ok);
    assert.is(one.points[0]?.signatures?.tag?.status, "invalid");
    assert.is(one.points[0]?.signatures?.commit.status, "valid");
    assert.is(one.points[0]?.error?.code, "VERIFY_FAILED");
  } finally {
    await h.cleanup();
  }
});

test("a rotated-away key keeps its allowed-signers line; publishing is idempotent", async () => {
  const h = await tempHome();
  try {
    await changeSigner(h.ctx);
    await changeSigner(h.ctx);
    const file = allowedSignersPath(h.dir);
    const before = await fsp.readFile(file, "utf8");
    assert.is(before.split("\n").filter(Boolean).length, 1);
    const other = await createSigner(new Uint8Array(32).fill(9));
    await fsp.writeFile(file, `confvault@node1 namespaces="git" ${other.sshPublicKey}\n${before}`);
    await changeSigner(h.ctx);
    const keys = (await readAllowedSigners(file)).map((s) => s.publicKey);
    assert.is(keys.length, 2);
    assert.equal(keys[0], other.publicKey);
  } finally {
    await h.cleanup();
  }
});

test("cost of signing one apply (commit + tag, SHA-512 + Ed25519 through Web Crypto)", async () => {
  const signer = await createSigner(new Uint8Array(32).fill(5));
  const sign = gitSshSigner(signer);
  const commit = enc.encode(`tree ${"a".repeat(40)}\n${"x".repeat(700)}\n`);
  const tag = enc.encode(`object ${"b".repeat(40)}\n${"y".repeat(600)}\n`);
  for (let i = 0; i < 20; i++) await sign(commit);
  const n = 300;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await sign(commit);
    await sign(tag);
  }
  const perApply = (performance.now() - t0) / n;
  const h = await tempHome();
  try {
    await changeSigner(h.ctx); // first call derives keys and writes the file
    const t1 = performance.now();
    for (let i = 0; i < 50; i++) await changeSigner(h.ctx);
    const publish = (performance.now() - t1) / 50;
    console.log(
      `signing per apply: ${perApply.toFixed(3)} ms (commit + tag); allowed-signers check ${publish.toFixed(3)} ms`,
    );
    assert.ok(perApply < 5, `signing took ${perApply} ms per apply`);
  } finally {
    await h.cleanup();
  }
});

test.run();
