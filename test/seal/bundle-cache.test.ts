import { execFileSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { showFile } from "../../src/api/show-file.ts";
import { blobId, createBundleCache } from "../../src/seal/bundle-cache.ts";
import type { SecretBundle } from "../../src/seal/secret-bundle.ts";
import { dec, enc, tempHome } from "../helpers/temp-home.ts";

const bundle = (): SecretBundle => ({ version: 1, key: "KEY", secrets: { m: "dmFsdWU=" } });

test("blob ids are git's", async () => {
  const bytes = enc("sealed bytes\n\0\xff");
  const git = execFileSync("git", ["hash-object", "--stdin"], { input: bytes }).toString().trim();
  assert.is(await blobId(bytes), git);
});

test("the same blob and identity unseal once; callers get copies; failures are not kept", async () => {
  const cache = createBundleCache(2);
  let calls = 0;
  const unseal = async () => {
    calls++;
    return bundle();
  };
  const a = await cache.open(enc("one"), "ID-1", unseal);
  a.secrets.m = "changed by a caller";
  const b = await cache.open(enc("one"), "ID-1", unseal);
  assert.is(calls, 1);
  assert.equal(b, bundle(), "a caller's change never reaches the cache");
  await cache.open(enc("one"), "ID-2", unseal);
  assert.is(calls, 2, "another identity has to open the bytes itself");
  await cache.open(enc("two"), "ID-1", unseal);
  assert.is(calls, 3);
  assert.is(cache.size, 2, "bounded: the oldest entry went");

  let failures = 0;
  const failing = async (): Promise<SecretBundle> => {
    failures++;
    throw new Error("WRONG_KEY");
  };
  for (let i = 0; i < 2; i++) {
    try {
      await cache.open(enc("three"), "ID-1", failing);
      assert.unreachable();
    } catch (err) {
      assert.match(String(err), /WRONG_KEY/);
    }
  }
  assert.is(failures, 2);
  cache.clear();
  assert.is(cache.size, 0);
});

test("a home's repeated reads of one restore point unseal its bundle once", async () => {
  const h = await tempHome({ profile: "generic" });
  try {
    const config = enc("<cfg><password>s3cret</password></cfg>");
    const r = await applyConfig({ ctx: h.ctx, config, reason: "one", actor: "t", noLive: true });
    assert.ok(h.ctx.bundles, "openHome gives the context a bundle cache");
    const before = h.ctx.bundles!.size;
    for (let i = 0; i < 3; i++) assert.is(dec(await showFile({ ctx: h.ctx, ref: r.tag })), dec(config));
    assert.is(h.ctx.bundles!.size, before + 1);
  } finally {
    await h.cleanup();
  }
});

test.run();
