import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tempDir } from "./seal-helpers.ts";

const HOOK = fileURLToPath(new URL("../../hooks/pre-commit", import.meta.url));
const KEY_B64_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
const PEM_KEY = `-----BEGIN RSA PRIVATE KEY-----\n${KEY_B64_BODY}\n-----END RSA PRIVATE KEY-----\n`;

async function repoWithHook(): Promise<string> {
  const dir = await tempDir("confvault-hook-");
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "t@example.com");
  git("config", "user.name", "t");
  git("config", "commit.gpgsign", "false");
  copyFileSync(HOOK, join(dir, ".git/hooks/pre-commit"));
  chmodSync(join(dir, ".git/hooks/pre-commit"), 0o755);
  return dir;
}

function commit(dir: string, files: Record<string, string | Uint8Array>) {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  execFileSync("git", ["add", "--", ...Object.keys(files)], { cwd: dir });
  const r = spawnSync("git", ["commit", "-q", "-m", "test"], { cwd: dir, encoding: "utf8" });
  return { ok: r.status === 0, stderr: r.stderr };
}

test("the hook is executable and valid POSIX sh", () => {
  assert.ok(statSync(HOOK).mode & 0o111, "hooks/pre-commit must be executable");
  const r = spawnSync("dash", ["-n", HOOK]);
  if (!r.error) assert.is(r.status, 0, String(r.stderr));
});

test("a staged PEM private key is refused, naming the file and never the key", async () => {
  const dir = await repoWithHook();
  const r = commit(dir, { "config.xml": `<r>\n<prv>${PEM_KEY}</prv>\n</r>\n` });
  assert.not.ok(r.ok);
  assert.match(r.stderr, /config\.xml line 2 holds a plaintext private key \(PEM block\)/);
  assert.not.ok(r.stderr.includes(KEY_B64_BODY));
});

test("base64-encoded PEM keys at every alignment, and odd file names, are refused", async () => {
  for (const prefix of ["", "a", "ab"]) {
    const dir = await repoWithHook();
    const name = `odd name ${prefix.length}.xml`;
    const r = commit(dir, {
      [name]: `<cert>\n<prv>${Buffer.from(prefix + PEM_KEY).toString("base64")}</prv>\n</cert>\n`,
    });
    assert.not.ok(r.ok, `prefix ${prefix.length}`);
    assert.ok(
      r.stderr.includes(`${name} line 2 holds a plaintext private key (base64-encoded PEM)`),
      r.stderr,
    );
  }
});

test("a PKCS#12 store, binary or base64, is refused", async () => {
  const pfx = new Uint8Array([
    0x30, 0x82, 0x0a, 0x1b, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xe1, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
    0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x82, 0x09, 0xd2, 0x04, 0x82, 0x09, 0xce, 0, 0, 0x33, 0x33,
  ]);
  const dir = await repoWithHook();
  const r = commit(dir, { "store.p12": pfx });
  assert.not.ok(r.ok);
  assert.match(r.stderr, /store\.p12 line \d+ holds a PKCS#12 key store/);
  const dir2 = await repoWithHook();
  const r2 = commit(dir2, { "c.xml": `<a>${Buffer.from(pfx).toString("base64")}</a>\n` });
  assert.not.ok(r2.ok);
  assert.match(r2.stderr, /c\.xml line 1 holds a PKCS#12 key store \(base64-encoded\)/);
});

test("clean files, certificates, markers and deletions are accepted", async () => {
  const dir = await repoWithHook();
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const r = commit(dir, {
    "config.xml": `<r><crt>${Buffer.from(cert).toString("base64")}</crt><prv>confvault-secret:v1:0123456789abcdef01234567</prv></r>\n`,
    "root.cer": cert,
  });
  assert.ok(r.ok, r.stderr);
  execFileSync("git", ["rm", "-q", "root.cer"], { cwd: dir });
  const r2 = commit(dir, { README: "hello\n" });
  assert.ok(r2.ok, r2.stderr);
});

test("the hook only looks at what is staged", async () => {
  const dir = await repoWithHook();
  writeFileSync(join(dir, "key.pem"), PEM_KEY);
  const r = commit(dir, { "config.xml": "<r/>\n" });
  assert.ok(r.ok, r.stderr);
});

test.run();
