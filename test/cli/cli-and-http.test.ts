import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cli, dec, git, ROOT, TEST_KEY, tempDir } from "../helpers/temp-home.ts";

const SAMPLE_PATH = path.join(ROOT, "templates/sample/safesquid-config.xml");

test("the CLI drives a home end to end with the documented exit codes and --json everywhere", async () => {
  const base = await tempDir();
  const env = {
    CONFVAULT_HOME: path.join(base, "home"),
    CONFVAULT_ACTIVATION_KEY: TEST_KEY,
    CONFVAULT_ACTOR: "ops-alice",
  };
  try {
    const init = await cli(
      ["init", "--live-root", path.join(base, "live"), "--node", "proxy1", "--json"],
      env,
    );
    assert.is(init.code, 0, init.stderr);
    const tokens = JSON.parse(init.stdout).tokens as { name: string; token: string }[];
    assert.is(tokens.length, 2);
    assert.is((await cli(["apply", SAMPLE_PATH], env)).code, 2, "a missing -m is bad usage");
    const applied = await cli(["apply", SAMPLE_PATH, "-m", "first import", "--json"], env);
    assert.is(applied.code, 0, applied.stderr);
    const first = JSON.parse(applied.stdout);
    assert.match(first.tag, /^rp\//);
    const bad = path.join(base, "bad.xml");
    await fsp.writeFile(bad, "<safesquid>\n  <access>\n</safesquid>\n");
    const refused = await cli(["apply", bad, "-m", "broken", "--json"], env);
    assert.is(refused.code, 2);
    const err = JSON.parse(refused.stderr).error;
    assert.is(err.code, "XML_MALFORMED");
    assert.match(err.message, /:3:\d+/);
    const edited = path.join(base, "edited.xml");
    await fsp.writeFile(
      edited,
      dec(new Uint8Array(await fsp.readFile(SAMPLE_PATH))).replace(
        "<request_timeout>120<",
        "<request_timeout>90<",
      ),
    );
    const second = JSON.parse(
      (await cli(["apply", edited, "-m", "shorter timeout", "--json", "--tag", "short-timeout"], env)).stdout,
    );
    assert.is(second.tag, "rp/short-timeout");
    const log = JSON.parse((await cli(["log", "--json"], env)).stdout).restorePoints;
    assert.is(log.length, 2);
    assert.is(log[0].actor, "ops-alice");
    const diff = await cli(["diff", first.tag, "rp/short-timeout"], env);
    assert.match(diff.stdout, /request_timeout/);
    const show = await cli(["show", first.tag], env);
    assert.is(show.stdout, dec(new Uint8Array(await fsp.readFile(SAMPLE_PATH))));
    assert.is((await cli(["restore", first.tag], env)).code, 2, "restore needs -m");
    const restored = await cli(["restore", first.tag, "-m", "back", "--json"], env);
    assert.is(restored.code, 0, restored.stderr);
    const verify = await cli(["verify", "--all", "--json"], env);
    assert.is(verify.code, 0, verify.stderr);
    assert.is(JSON.parse(verify.stdout).points.length, 3);
    const status = JSON.parse((await cli(["status", "--json"], env)).stdout);
    assert.is(status.drift, "none");
    const unknown = await cli(["show", "rp/nope"], env);
    assert.is(unknown.code, 2, "a REF that names nothing is bad input (README: exit codes)");
    assert.match(unknown.stderr, /hint:/);
    const noHome = await cli(["log"], { ...env, CONFVAULT_HOME: path.join(base, "missing") });
    assert.is(noHome.code, 1);
    assert.match(noHome.stderr, /confvault init/);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
});

test("the HTTP API applies, lists, shows, diffs and restores; a CLI apply is seen by the running server at once", async () => {
  const base = await tempDir();
  const env = { CONFVAULT_HOME: path.join(base, "home"), CONFVAULT_ACTIVATION_KEY: TEST_KEY };
  const init = JSON.parse(
    (await cli(["init", "--live-root", path.join(base, "live"), "--node", "proxy1", "--json"], env)).stdout,
  );
  const operator = init.tokens.find((t: { role: string }) => t.role === "operator").token;
  const viewer = init.tokens.find((t: { role: string }) => t.role === "viewer").token;
  const server = spawn(
    process.execPath,
    [path.join(ROOT, "bin/confvault.js"), "serve", "--port", "0", "--json"],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, CONFVAULT_LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      server.stdout.on("data", (d) => {
        out += d;
        const m = /"url":\s*"([^"]+)"/.exec(out);
        if (m) resolve(m[1]);
      });
      server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
    });
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    assert.is((await fetch(`${url}/healthz`)).status, 200);
    const sample = new Uint8Array(await fsp.readFile(SAMPLE_PATH));
    const denied = await fetch(`${url}/api/v1/apply?reason=x`, {
      method: "POST",
      headers: { ...auth(viewer), "content-type": "application/xml" },
      body: sample,
    });
    assert.is(denied.status, 403);
    const res = await fetch(`${url}/api/v1/apply?reason=via%20http`, {
      method: "POST",
      headers: { ...auth(operator), "content-type": "application/xml" },
      body: sample,
    });
    assert.is(res.status, 201, await res.clone().text());
    const first = await res.json();
    const malformed = await fetch(`${url}/api/v1/apply?reason=x`, {
      method: "POST",
      headers: { ...auth(operator), "content-type": "application/xml" },
      body: "<safesquid><a></safesquid>",
    });
    assert.is(malformed.status, 400);
    assert.is((await malformed.json()).error.code, "XML_MALFORMED");
    // A CLI apply on the same home while the server runs.
    const edited = path.join(base, "edited.xml");
    await fsp.writeFile(edited, dec(sample).replace("<request_timeout>120<", "<request_timeout>60<"));
    const cliApply = JSON.parse((await cli(["apply", edited, "-m", "from the cli", "--json"], env)).stdout);
    const list = await (await fetch(`${url}/api/v1/restore-points`, { headers: auth(viewer) })).json();
    assert.is(list.restorePoints[0].tag, cliApply.tag);
    assert.is(list.restorePoints[1].tag, first.tag);
    // Plaintext (secrets put back) for an operator; the committed bytes, secrets as markers, for a viewer.
    const shown = await fetch(`${url}/api/v1/restore-points/${first.tag}/config.xml`, {
      headers: auth(operator),
    });
    assert.equal(new Uint8Array(await shown.arrayBuffer()), sample);
    const viewed = await fetch(`${url}/api/v1/restore-points/${first.tag}/config.xml`, {
      headers: auth(viewer),
    });
    assert.is(viewed.headers.get("x-confvault-secrets"), "markers");
    assert.match(await viewed.text(), /confvault-secret:v1:[0-9a-f]{24}/);
    const d = await (
      await fetch(
        `${url}/api/v1/diff?from=${encodeURIComponent(first.tag)}&to=${encodeURIComponent(cliApply.tag)}`,
        { headers: auth(viewer) },
      )
    ).json();
    assert.match(d.text, /request_timeout/);
    const r = await fetch(`${url}/api/v1/restore`, {
      method: "POST",
      headers: { ...auth(operator), "content-type": "application/json" },
      body: JSON.stringify({ tag: first.tag, reason: "undo cli change" }),
    });
    assert.is(r.status, 201, await r.clone().text());
    assert.equal(
      new Uint8Array(
        await fsp.readFile(path.join(base, "live/usr/local/safesquid/security/policies/config.xml")),
      ),
      sample,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /confvault_api_applies_total\{result="changed"\} 1/);
    await git(path.join(base, "home/repo.git"), "fsck", "--strict", "--no-progress");
  } finally {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
    await fsp.rm(base, { recursive: true, force: true });
  }
});

test.run();
