import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readIdentityCache } from "../../src/home/identity-cache.ts";
import { deriveIdentity } from "../../src/seal/derive-identity.ts";
import { cli, ROOT, tempHome } from "../helpers/temp-home.ts";

const SAMPLE = path.join(ROOT, "templates/sample/safesquid-config.xml");

test("a key kept in the home gets its derived identity cached at 0600; another key, a widened mode or an env key never use it", async () => {
  const h = await tempHome({ keyFromEnv: false });
  const env = {};
  try {
    const cache = h.ctx.layout.identityCache;
    assert.is((await cli(["--home", h.dir, "apply", "-m", "first", SAMPLE], env)).code, 0);
    assert.is((await fsp.stat(cache)).mode & 0o777, 0o600);
    const key = await fsp.readFile(h.ctx.layout.activationKey, "utf8");
    const derived = await deriveIdentity({ activationKey: key, cluster: "test" });
    const cached = await readIdentityCache(cache, key, "test");
    assert.is(cached?.identity, derived.identity);
    assert.equal(cached?.markerKey, derived.markerKey);
    assert.equal(cached?.signingSeed, derived.signingSeed);
    assert.is(await readIdentityCache(cache, `${key}x`, "test"), undefined, "another key derives afresh");
    assert.is(await readIdentityCache(cache, key, "other"), undefined, "another cluster derives afresh");
    const shown = await cli(["--home", h.dir, "--json", "keys", "identity"], env);
    assert.is(JSON.parse(shown.stdout).identity, derived.identity, "the cached identity is the derived one");

    await fsp.chmod(cache, 0o644);
    assert.is(await readIdentityCache(cache, key, "test"), undefined, "a widened file is not trusted");
    assert.is((await cli(["--home", h.dir, "show", "main"], env)).code, 0);
    assert.is((await fsp.stat(cache)).mode & 0o777, 0o600, "rewritten at 0600");

    const newKey = path.join(h.dir, "..", "new.key");
    await fsp.writeFile(newKey, "a-brand-new-activation-key-0123456789\n", { mode: 0o600 });
    assert.is((await cli(["--home", h.dir, "keys", "rotate", "--new-key-file", newKey], env)).code, 0);
    assert.is(await fsp.stat(cache).catch(() => null), null, "keys rotate drops the cache");
    assert.is((await cli(["--home", h.dir, "show", "main"], env)).code, 0);
  } finally {
    await h.cleanup();
  }
});

test("a key from the environment is never cached on disk", async () => {
  const h = await tempHome();
  try {
    assert.is((await cli(["--home", h.dir, "apply", "-m", "first", SAMPLE], h.env)).code, 0);
    assert.is(await fsp.stat(h.ctx.layout.identityCache).catch(() => null), null);
  } finally {
    await h.cleanup();
  }
});

test.run();
