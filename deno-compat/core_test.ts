// Core smoke tests under Deno: the XML scan, sealing, the git engine and apply/restore run
// unchanged on a second runtime. Run with `npm run deno-compat` (uses the npm `deno` package).
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyConfig } from "../src/api/apply.ts";
import { initHome } from "../src/api/init-home.ts";
import { listRestorePoints } from "../src/api/list-restore-points.ts";
import { restore } from "../src/api/restore.ts";
import { showFile } from "../src/api/show-file.ts";
import { openHome } from "../src/home/open-home.ts";
import { deriveIdentity } from "../src/seal/derive-identity.ts";
import { nobleScrypt, pickScrypt } from "../src/seal/scrypt-adapter.ts";
import { sealBundle } from "../src/seal/seal-bundle.ts";
import { unsealBundle } from "../src/seal/unseal-bundle.ts";
import { scanXml } from "../src/xml/scan-xml.ts";

declare const Deno: { test(name: string, fn: () => unknown): void };

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("scanXml reports byte offsets and refuses malformed XML with line:column", () => {
  const bytes = enc(`<?xml version="1.0"?>\n<cfg><naïve>x</naïve><b>y</b></cfg>`);
  const scan = scanXml(bytes, { patterns: ["b"] });
  assert.equal(scan.rootName, "cfg");
  const b = scan.matches[0];
  assert.equal(new TextDecoder().decode(bytes.subarray(b.start, b.end)), "<b>y</b>");
  assert.throws(() => scanXml(enc("<a>\n<b></a>")), /:2:/);
});

Deno.test("Deno derives through the portable @noble/hashes scrypt", async () => {
  assert.equal(await pickScrypt(), nobleScrypt);
});

Deno.test("age sealing round-trips with the derived identity", async () => {
  const keys = await deriveIdentity({ activationKey: "deno-activation-key-0123456789", cluster: "deno" });
  const sealed = await sealBundle(
    { version: 1, secrets: { "confvault-secret:v1:0123456789abcdef01234567": btoa("secret") } },
    [keys.recipient],
  );
  const opened = await unsealBundle(sealed, [keys.identity]);
  assert.equal(opened.secrets["confvault-secret:v1:0123456789abcdef01234567"], btoa("secret"));
});

Deno.test("apply and restore on a real home give the applied bytes back", async () => {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-deno-"));
  try {
    const dir = path.join(base, "home");
    await initHome({
      dir,
      liveRoot: path.join(base, "live"),
      profile: "generic",
      node: "deno",
      cluster: "deno",
      keyFromEnv: true,
    });
    const ctx = await openHome({ dir, env: { CONFVAULT_ACTIVATION_KEY: "deno-activation-key-0123456789" } });
    const one = enc(`<cfg>\r\n  <a>1</a>\r\n</cfg>`);
    const two = enc(`<cfg>\r\n  <a>2</a>\r\n</cfg>`);
    const r1 = await applyConfig({ ctx, config: one, reason: "one", actor: "deno" });
    const r2 = await applyConfig({ ctx, config: two, reason: "two", actor: "deno" });
    // Listed through the tag index (written beside the repo), newest first, limit after ordering.
    assert.deepEqual(
      (await listRestorePoints({ ctx })).map((p) => p.tag),
      [r2.tag, r1.tag],
    );
    assert.deepEqual(
      (await listRestorePoints({ ctx, limit: 1 })).map((p) => p.tag),
      [r2.tag],
    );
    assert.deepEqual(await showFile({ ctx, ref: r1.tag }), one);
    await restore({ ctx, ref: r1.tag, reason: "back", actor: "deno" });
    assert.deepEqual(new Uint8Array(await fsp.readFile(ctx.live("config")!)), one);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
});
