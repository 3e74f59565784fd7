import { promises as fsp } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { readJson, syncPaths } from "../../src/sync/json-state.ts";
import type { SlaveState } from "../../src/sync/slave-sync.ts";
import { dec, enc, sharedFixture, sharedFixturesAvailable } from "../helpers/temp-home.ts";
import { inProcessPair, waitFor } from "./in-process.ts";

const available = await sharedFixturesAvailable();
const run = available ? test : test.skip;

run(
  "the OPNsense HA secondary takes the primary's policy, keeps its own bytes and does not inherit <hasync>",
  async () => {
    const primary = (await sharedFixture("opnsense-ha-primary.xml"))!;
    const secondary = (await sharedFixture("opnsense-ha-secondary.xml"))!;
    const pair = await inProcessPair({ profile: "opnsense", slaveLive: secondary });
    try {
      const state = () =>
        readJson<SlaveState>(syncPaths(pair.slaveCtx.layout.state).slave, { applied: null, failed: null });
      const live = async () => new Uint8Array(await fsp.readFile(pair.slaveCtx.live("config")!));
      await applyConfig({ ctx: pair.masterHome.ctx, config: primary, reason: "HA primary", actor: "admin" });
      await pair.master.start();
      await waitFor(async () => (await state()).applied?.sequence === 1, 10_000, "the secondary to apply");
      // The pair differs only in <hasync>: the synced secondary is byte for byte its own file.
      assert.equal(await live(), secondary);
      assert.not.ok(dec(await live()).includes("<hasync>"));
      // A policy change on the primary arrives; everything outside hasync stays identical to the primary.
      const changedPrimary = enc(
        dec(primary).replace(/<descr>([^<]*)<\/descr>/, "<descr>$1 (edited)</descr>"),
      );
      assert.not.equal(changedPrimary, primary);
      await applyConfig({
        ctx: pair.masterHome.ctx,
        config: changedPrimary,
        reason: "rule text",
        actor: "admin",
      });
      await waitFor(async () => (await state()).applied?.sequence === 2, 10_000, "the second release");
      const withoutHasync = dec(changedPrimary).replace(/\n[ \t]*<hasync>[\s\S]*?<\/hasync>/, "");
      assert.is(dec(await live()), withoutHasync);
    } finally {
      await pair.cleanup();
    }
  },
);

test.run();
