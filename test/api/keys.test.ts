import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { addRecipient } from "../../src/api/keys-recipients.ts";
import { listRestorePoints } from "../../src/api/list-restore-points.ts";
import { rotateKeys } from "../../src/api/rotate-keys.ts";
import { showFile } from "../../src/api/show-file.ts";
import { verify } from "../../src/api/verify.ts";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { openHome } from "../../src/home/open-home.ts";
import { cli, dec, enc, ROOT, tempHome } from "../helpers/temp-home.ts";

const run = promisify(execFile);
const SAMPLE = new Uint8Array(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml")));

test("after a key rotation every restore point is restorable with only the new activation key", async () => {
  const h = await tempHome();
  try {
    const v1 = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "one", actor: "a" });
    const changed = enc(dec(SAMPLE).replace("not-a-real-password-change-me", "another-fake-password-42"));
    const v2 = await applyConfig({ ctx: h.ctx, config: changed, reason: "new ldap password", actor: "a" });
    const newKey = path.join(h.dir, "..", "new.key");
    await fsp.writeFile(newKey, "second-activation-key-abcdefghijklmnop\n", { mode: 0o600 });
    const rotated = await rotateKeys({ ctx: h.ctx, newKeyFile: newKey, actor: "a" });
    assert.ok(rotated.tag);
    assert.is(rotated.previousIdentities, 1);
    // Only the new key from now on.
    const onlyNew = await openHome({ dir: h.dir, env: {} });
    assert.equal(await showFile({ ctx: onlyNew, ref: v1.tag }), SAMPLE);
    assert.equal(await showFile({ ctx: onlyNew, ref: v2.tag }), changed);
    const result = await verify({ ctx: onlyNew, all: true });
    assert.ok(result.ok, JSON.stringify(result.points));
    assert.is(result.points.length, 3);
    // The old key alone no longer opens the newest restore point.
    try {
      await showFile({ ctx: await openHome({ dir: h.dir, env: h.env }), ref: rotated.tag! });
      assert.unreachable();
    } catch (err) {
      assert.ok(isConfvaultError(err, "WRONG_KEY"), String(err));
    }
    // A second rotation keeps both earlier identities.
    const third = path.join(h.dir, "..", "third.key");
    await fsp.writeFile(third, "third-activation-key-abcdefghijklmnopq\n", { mode: 0o600 });
    const again = await rotateKeys({ ctx: onlyNew, newKeyFile: third, actor: "a" });
    assert.is(again.previousIdentities, 2);
    const onlyThird = await openHome({ dir: h.dir, env: {} });
    assert.ok((await verify({ ctx: onlyThird, all: true })).ok);
    assert.is((await listRestorePoints({ ctx: onlyThird })).length, 4);
  } finally {
    await h.cleanup();
  }
});

test("a keyring changed outside confvault is refused like any file that no longer matches its manifest", async () => {
  const h = await tempHome();
  try {
    await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "one", actor: "a" });
    const newKey = path.join(h.dir, "..", "new.key");
    await fsp.writeFile(newKey, "second-activation-key-abcdefghijklmnop\n", { mode: 0o600 });
    const rotated = await rotateKeys({ ctx: h.ctx, newKeyFile: newKey, actor: "a" });
    const ctx = await openHome({ dir: h.dir, env: {} });
    const tip = rotated.commit!;
    const files: Record<string, Uint8Array> = {};
    for (const name of await ctx.engine.listFiles(tip)) files[name] = await ctx.engine.readFile(tip, name);
    const keyring = files["keyring.sealed.age"]!.slice();
    keyring[keyring.length - 1] ^= 1;
    const tampered = await ctx.engine.commitFiles({
      branch: "main",
      files: { ...files, "keyring.sealed.age": keyring },
      message: "hand edit\n",
      author: { name: "mallory", email: "m@example.invalid", timestamp: 1_800_000_000 },
      expectedParent: tip,
    });
    const result = await verify({ ctx, ref: tampered });
    assert.not.ok(result.ok);
    assert.is(result.points[0]?.error?.code, "MANIFEST_MISMATCH");
    assert.match(result.points[0]?.error?.message ?? "", /keyring\.sealed\.age/);
  } finally {
    await h.cleanup();
  }
});

test("an escrow recipient opens the sealed bundle with the standard age tool", async () => {
  const h = await tempHome();
  try {
    const keyFile = path.join(h.dir, "..", "escrow.txt");
    await run("age-keygen", ["-o", keyFile]);
    const recipient = (await run("age-keygen", ["-y", keyFile])).stdout.trim();
    await addRecipient({ ctx: h.ctx, recipient });
    try {
      await addRecipient({ ctx: h.ctx, recipient: "AGE-SECRET-KEY-1QQQQ" });
      assert.unreachable();
    } catch (err) {
      assert.ok(isConfvaultError(err, "BAD_INPUT"));
    }
    const r = await applyConfig({ ctx: h.ctx, config: SAMPLE, reason: "one", actor: "a" });
    const sealed = path.join(h.dir, "..", "bundle.age");
    await fsp.writeFile(sealed, await showFile({ ctx: h.ctx, ref: r.tag, file: "secrets.sealed.age" }));
    const opened = JSON.parse((await run("age", ["-d", "-i", keyFile, sealed])).stdout);
    assert.is(opened.version, 1);
    assert.ok(
      Object.values(opened.secrets as Record<string, string>).some(
        (v) => Buffer.from(v, "base64").toString() === "not-a-real-password-change-me",
      ),
    );
    // The node's own identity, as `keys identity` prints it, works with age too.
    const id = await cli(["keys", "identity", "--home", h.dir], h.env);
    assert.is(id.code, 0, id.stderr);
    const idFile = path.join(h.dir, "..", "own.txt");
    await fsp.writeFile(idFile, id.stdout, { mode: 0o600 });
    assert.is(JSON.parse((await run("age", ["-d", "-i", idFile, sealed])).stdout).version, 1);
  } finally {
    await h.cleanup();
  }
});

test.run();
