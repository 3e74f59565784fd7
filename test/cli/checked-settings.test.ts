import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cli, cliError, tempHome } from "../helpers/temp-home.ts";

// The compiled CLI skips loading the settings schema when settings.json is byte-identical to
// what this very build validated last (src/settings/checked-settings.ts); any edit validates again.
test("an edited settings.json is validated again; a cache from another build or a torn cache is ignored", async () => {
  const h = await tempHome();
  try {
    const cacheFile = path.join(h.dir, "state", "settings.checked.json");
    const first = await cli(["--home", h.dir, "--json", "log"], h.env);
    assert.is(first.code, 0, first.stderr);
    const cached = JSON.parse(await fsp.readFile(cacheFile, "utf8"));
    assert.type(cached.build, "string");
    assert.is(cached.text, await fsp.readFile(h.ctx.layout.settings, "utf8"));

    // An invalid edit is caught although a cache exists.
    const settings = JSON.parse(cached.text);
    settings.server = { ...settings.server, port: "not a port" };
    await fsp.writeFile(h.ctx.layout.settings, JSON.stringify(settings, null, 2));
    const bad = await cli(["--home", h.dir, "--json", "log"], h.env);
    assert.is(bad.code, 2, bad.stderr);
    assert.is(cliError(bad).code, "SETTINGS_INVALID");

    // A forged cache entry (other build id) for the bad text is not trusted.
    await fsp.writeFile(
      cacheFile,
      JSON.stringify({ build: "forged", text: JSON.stringify(settings, null, 2), settings: cached.settings }),
    );
    const forged = await cli(["--home", h.dir, "--json", "log"], h.env);
    assert.is(forged.code, 2);

    // A torn cache file is ignored.
    await fsp.writeFile(h.ctx.layout.settings, cached.text);
    await fsp.writeFile(cacheFile, "{ torn");
    const ok = await cli(["--home", h.dir, "--json", "log"], h.env);
    assert.is(ok.code, 0, ok.stderr);
    assert.is(JSON.parse(await fsp.readFile(cacheFile, "utf8")).text, cached.text);
  } finally {
    await h.cleanup();
  }
});

test.run();
