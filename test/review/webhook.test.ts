import { promises as fsp } from "node:fs";
import { sign, verify } from "@octokit/webhooks-methods";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { ROOT } from "../helpers/temp-home.ts";
import { deliver, example, pushPayload, type ReviewRig, reviewRig, samplePath } from "./setup.ts";

let rig: ReviewRig;
let tipBefore: string | null;

test.before(async () => {
  rig = await reviewRig({ bodyLimit: 64 * 1024 });
  const sample = new Uint8Array(await fsp.readFile(samplePath(ROOT)));
  await applyConfig({ ctx: rig.home.ctx, config: sample, reason: "first", actor: "alice" });
  tipBefore = await rig.home.ctx.engine.branchTip("main");
});
test.after(async () => {
  await rig.cleanup();
});

async function nothingApplied() {
  await rig.events.idle();
  assert.is(await rig.home.ctx.engine.branchTip("main"), tipBefore, "main did not move");
  assert.is(rig.gh.statuses.length, 0, "no status posted");
}

test("GitHub's documented test vector verifies", async () => {
  const secret = "It's a Secret to Everybody";
  const expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  assert.is(await sign(secret, "Hello, World!"), expected);
  assert.ok(await verify(secret, "Hello, World!", expected));
  assert.not.ok(await verify(secret, "Hello, World?", expected));
});

test("ping is answered", async () => {
  const res = await deliver(rig, "ping", example("ping"));
  assert.is(res.status, 200);
  assert.is((await res.json()).ok, true);
});

test("a bad signature is refused with 401 and nothing is applied", async () => {
  const payload = pushPayload(rig.gh, "a".repeat(40), "b".repeat(40), "direct");
  const res = await deliver(rig, "push", payload, { secret: "not-the-secret" });
  assert.is(res.status, 401);
  assert.is((await res.json()).error.code, "UNAUTHORIZED");
  await nothingApplied();
});

test("missing GitHub headers are refused with 400 and nothing is applied", async () => {
  for (const header of ["x-hub-signature-256", "x-github-event", "x-github-delivery"]) {
    const body = JSON.stringify(pushPayload(rig.gh, "a".repeat(40), "b".repeat(40), "m"));
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": `missing-${header}`,
      "x-hub-signature-256": await sign("webhook-secret-for-tests", body),
    };
    delete headers[header];
    const res = await rig.app.request("/hooks/github", { method: "POST", headers, body });
    assert.is(res.status, 400, header);
    assert.match((await res.json()).error.message, /missing header/);
  }
  await nothingApplied();
});

test("a replayed delivery id is refused with 409", async () => {
  const payload = example("ping");
  assert.is((await deliver(rig, "ping", payload, { delivery: "replay-1" })).status, 200);
  const again = await deliver(rig, "ping", payload, { delivery: "replay-1" });
  assert.is(again.status, 409);
  assert.is((await again.json()).error.code, "REPLAYED");
  const state = JSON.parse(await fsp.readFile(`${rig.home.ctx.layout.state}/github-deliveries.json`, "utf8"));
  assert.ok("replay-1" in state, "delivery ids are kept in the home's state");
  await nothingApplied();
});

test("an oversized body is refused with 413 and nothing is applied", async () => {
  const payload = {
    ...pushPayload(rig.gh, "a".repeat(40), "b".repeat(40), "big"),
    padding: "x".repeat(70 * 1024),
  };
  const res = await deliver(rig, "push", payload);
  assert.is(res.status, 413);
  await nothingApplied();
});

test("other events and pushes to other branches are accepted with 202 and ignored", async () => {
  const issue = example("issues");
  const res = await deliver(rig, "issues", { ...issue, repository: rig.gh.repositoryJson() });
  assert.is(res.status, 202);
  assert.match(String((await res.json()).ignored), /event issues/);
  const tagPush = { ...pushPayload(rig.gh, "a".repeat(40), "b".repeat(40), "t"), ref: "refs/tags/v1" };
  const res2 = await deliver(rig, "push", tagPush);
  assert.is(res2.status, 202);
  assert.match(String((await res2.json()).ignored), /refs\/tags\/v1/);
  await nothingApplied();
});

test.run();
