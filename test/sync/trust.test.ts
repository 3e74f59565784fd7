import { promises as fsp } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { base64 } from "@scure/base";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { sha256Hex } from "../../src/core/manifest.ts";
import { sealBundle } from "../../src/seal/seal-bundle.ts";
import { createSigner } from "../../src/seal/signing-key.ts";
import { syncPaths } from "../../src/sync/json-state.ts";
import { releaseSignedBytes, signBytes } from "../../src/sync/release-signature.ts";
import { makeCert } from "../helpers/make-cert.ts";
import { ROOT, tempDir } from "../helpers/temp-home.ts";
import { waitFor } from "./in-process.ts";
import { freePort, NodeProcess, http as request } from "./processes.ts";

// A master and a slave (separate `confvault serve` processes) with a relay on each path: the
// slave reaches its master only through `up`, the master reaches the slave only through `down`.
// The relays forge, tamper, record and replay what an attacker on the network path could.
const test = suite("trust: a relay between slave and master");
const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
const version = (n: number) =>
  SAMPLE.replace("<request_timeout>120</request_timeout>", `<request_timeout>${n}</request_timeout>`);
const EVIL = SAMPLE.replace(
  "<request_timeout>120</request_timeout>",
  "<request_timeout>666</request_timeout>",
);
const EVIL_CERT = makeCert("evil root");
const enc = new TextEncoder();

type Mode = "pass" | "evil-key" | "unsigned" | "tampered" | "swap-key" | "misdirect";
let mode: Mode = "pass";
/** Node token of another registered node: the relay hands s1 that node's genuine releases. */
let otherNodeToken = "";
const webhooks: { headers: Record<string, string>; body: string }[] = [];
let base: string;
let master: NodeProcess;
let slave: NodeProcess;
let admin: string;
let slaveAdmin: string;
let up: http.Server;
let down: http.Server;
let upUrl: string;
let downUrl: string;
const evilSigner = await createSigner(new Uint8Array(32).fill(66));

async function forge(real: any): Promise<any> {
  if (mode === "misdirect") {
    const other = await request(`${master.url}/api/v1/releases/${real.commit}`, { token: otherNodeToken });
    assert.is(other.status, 200, JSON.stringify(other.json));
    return other.json; // signed by the real master, sealed to another node's recipient
  }
  const nodes = JSON.parse(await fsp.readFile(syncPaths(path.join(master.home, "state")).nodes, "utf8"));
  const recipient = nodes.find((n: any) => n.name === "s1").recipient as string;
  const config = enc.encode(EVIL);
  const bundle = await sealBundle({ version: 1, cert: EVIL_CERT.cert, key: EVIL_CERT.key, secrets: {} }, [
    recipient,
  ]);
  const sha = await sha256Hex(config);
  const { certificate: _, ...manifest } = real.manifest;
  const forged = {
    ...real,
    sequence: 999,
    manifest: {
      ...manifest,
      sequence: 999,
      config: { ...manifest.config, sha256: sha },
      files: { ...manifest.files, "config.xml": { ...manifest.files["config.xml"], sha256: sha } },
    },
    config: base64.encode(config),
    bundle: base64.encode(bundle),
  };
  if (mode === "unsigned") {
    delete forged.signature;
    return forged;
  }
  if (mode === "tampered") return forged; // the master's real signature, over other bytes
  const bytes = await releaseSignedBytes({ ...forged, config, bundle });
  return { ...forged, signature: await signBytes(evilSigner, bytes) };
}

function relay(target: () => string, onRequest: (req: http.IncomingMessage, body: Buffer) => void) {
  return http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    onRequest(req, body);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)),
    ) as Record<string, string>;
    try {
      const r = await fetch(`${target()}${req.url}`, {
        method: req.method,
        headers,
        body: body.length ? body : undefined,
      });
      let text = await r.text();
      if (r.ok && mode !== "pass") {
        if (/^\/api\/v1\/releases\/[0-9a-f]{40}$/.test(req.url ?? "") && mode !== "swap-key") {
          text = JSON.stringify(await forge(JSON.parse(text)));
        } else if (req.url === "/api/v1/cluster/join-info" && mode === "swap-key") {
          text = JSON.stringify({ ...JSON.parse(text), masterKeys: [evilSigner.sshPublicKey] });
        }
      }
      res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/json" });
      res.end(text);
    } catch (err) {
      console.error("relay", req.method, req.url, headers, err);
      res.writeHead(502);
      res.end(`${String(err)} ${String((err as { cause?: unknown }).cause)}`);
    }
  });
}

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function slaveStatus(): Promise<any> {
  const r = await request(`${slave.url}/api/v1/cluster`, { token: slaveAdmin });
  assert.is(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

const certPath = () => path.join(slave.liveRoot, "usr/local/safesquid/security/ssl/ROOT_X509File.cer");
const keyPath = () => path.join(slave.liveRoot, "usr/local/safesquid/security/ssl/ROOT_PrivateKeyFile.pem");
const read = (p: string) => fsp.readFile(p, "utf8").catch(() => "");

async function apply(n: number): Promise<void> {
  const r = await request(`${master.url}/api/v1/apply?reason=v${n}`, {
    method: "POST",
    token: admin,
    headers: { "content-type": "application/xml" },
    body: version(n),
  });
  assert.is(r.status, 201, JSON.stringify(r.json));
}

const slaveOn = (n: number, ms = 6000) =>
  waitFor(
    async () => (await slave.live()).includes(`<request_timeout>${n}</request_timeout>`),
    ms,
    `slave on ${n}`,
  );

test.before(async () => {
  try {
    await setup();
  } catch (err) {
    console.error("trust setup failed:", err, master?.log, slave?.log);
    throw err;
  }
});

async function setup(): Promise<void> {
  base = await tempDir("confvault-trust-");
  const [mp, sp] = await Promise.all([freePort(), freePort()]);
  master = new NodeProcess(
    "m1",
    path.join(base, "m1"),
    path.join(base, "m1-live"),
    "master-key-0123456789abcdef",
    mp,
  );
  slave = new NodeProcess(
    "s1",
    path.join(base, "s1"),
    path.join(base, "s1-live"),
    "s1-key-0123456789abcdefgh",
    sp,
  );
  up = relay(
    () => master.url,
    () => undefined,
  );
  down = relay(
    () => slave.url,
    (req, body) => {
      if (req.url === "/hooks/sync")
        webhooks.push({ headers: req.headers as Record<string, string>, body: body.toString() });
    },
  );
  upUrl = await listen(up);
  downUrl = await listen(down);
  const init = await master.cli([
    "--json",
    "init",
    "--role",
    "master",
    "--no-tls",
    "--node",
    "m1",
    "--cluster",
    "lab",
    "--live-root",
    master.liveRoot,
  ]);
  assert.is(init.code, 0, init.stderr);
  admin = JSON.parse(init.stdout).tokens.find((t: { role: string }) => t.role === "operator").token;
  await master.patchSettings((s) => {
    s.sync = { watchIntervalMs: 50, retries: 1, retryBaseMs: 100 };
  });
  await master.start();
  const t = await master.cli(["--json", "cluster", "join-token", "--ttl", "10m", "--uses", "3"]);
  assert.is(t.code, 0, t.stderr);
  const joinToken = JSON.parse(t.stdout).token as string;
  assert.match(joinToken, /^cvj1\./);
  await fsp.mkdir(path.dirname(slave.livePath()), { recursive: true });
  await fsp.writeFile(slave.livePath(), SAMPLE);
  const r = await slave.cli([
    "init",
    "--role",
    "slave",
    "--insecure-http",
    "--node",
    "s1",
    "--live-root",
    slave.liveRoot,
    "--master",
    upUrl,
    "--url",
    downUrl,
    "--join-token",
    joinToken,
  ]);
  assert.is(r.code, 0, r.stderr);
  slaveAdmin = /admin \(operator\): (\S+)/.exec(r.stdout)![1]!;
  await slave.patchSettings((x) => {
    x.sync.pollSchedule = "*/1 * * * * *";
    x.sync.pollJitterMs = 0;
  });
  await slave.start();
  await apply(200);
  await slaveOn(200);
}

test.after(async () => {
  await Promise.all([master, slave].map((n) => n?.stop("SIGKILL")));
  up?.close();
  down?.close();
  await fsp.rm(base, { recursive: true, force: true });
});

test("the slave pinned the master's signing key at join", async () => {
  const creds = JSON.parse(await fsp.readFile(path.join(slave.home, "state/sync-credentials.json"), "utf8"));
  const info = await request(`${master.url}/api/v1/cluster/join-info`);
  assert.is(info.status, 200);
  assert.equal(creds.masterKeys, info.json.masterKeys);
  assert.match(creds.masterKeys[0], /^ssh-ed25519 AAAA/);
});

for (const variant of ["evil-key", "unsigned", "tampered"] as const) {
  test(`a forged release (${variant}: evil config, cert and key sealed to the slave, sequence 999) writes nothing; the slave then takes the real release of the same commit and the next change`, async () => {
    const before = await slaveStatus();
    const liveBefore = await slave.live();
    const certBefore = await read(certPath());
    mode = variant;
    const n = { "evil-key": 301, unsigned: 302, tampered: 303 }[variant];
    await apply(n);
    const reason =
      variant === "evil-key" ? "unknown-key" : variant === "unsigned" ? "unsigned" : "bad-signature";
    await waitFor(
      async () => (await slaveStatus()).lastRefused?.reason === reason,
      6000,
      `refused as ${reason}`,
    );
    const during = await slaveStatus();
    assert.is(during.applied.sequence, before.applied.sequence, "applied sequence unchanged");
    assert.is(during.failed, before.failed, "a refusal is not recorded as a failure that blocks the commit");
    assert.is(await slave.live(), liveBefore, "live config untouched");
    assert.not.ok((await slave.live()).includes("666"));
    assert.is(await read(certPath()), certBefore, "live certificate untouched");
    assert.not.ok((await read(keyPath())).includes(EVIL_CERT.key.slice(40, 80)));
    const metrics = await request(`${slave.url}/metrics`);
    assert.match(
      String(metrics.json),
      new RegExp(`confvault_sync_releases_refused_total\\{reason="${reason}"\\} [1-9]`),
    );
    mode = "pass";
    await slaveOn(n); // the poller fetches the same commit again, now genuine
    await apply(n + 50);
    await slaveOn(n + 50);
    assert.ok((await slaveStatus()).applied.sequence > before.applied.sequence);
  });
}

test("a captured webhook replayed with fresh delivery ids is refused (401) and applies nothing", async () => {
  assert.ok(webhooks.length > 0, "the down relay captured the master's webhooks");
  const before = await slaveStatus();
  const w = webhooks[0]!;
  for (let i = 0; i < 20; i++) {
    const r = await request(`${slave.url}/hooks/sync`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-confvault-signature": w.headers["x-confvault-signature"]!,
        "x-confvault-timestamp": w.headers["x-confvault-timestamp"]!,
        "x-confvault-delivery": `d-replay-${String(i).padStart(8, "0")}`,
      },
      body: w.body,
    });
    assert.is(r.status, 401, JSON.stringify(r.json));
    assert.is(r.json.error.code, "UNAUTHORIZED");
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await slaveStatus()).applied, before.applied);
});

test("a node token cannot change its recipient (403, unchanged); an operator can", async () => {
  const nodesFile = syncPaths(path.join(master.home, "state")).nodes;
  const recipientOf = async () =>
    JSON.parse(await fsp.readFile(nodesFile, "utf8")).find((n: any) => n.name === "s1").recipient as string;
  const original = await recipientOf();
  const creds = JSON.parse(await fsp.readFile(path.join(slave.home, "state/sync-credentials.json"), "utf8"));
  const attacker = await identityToRecipient(await generateIdentity());
  const post = (token: string, body: unknown) =>
    request(`${master.url}/api/v1/cluster/recipient`, {
      method: "POST",
      token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const refused = await post(creds.nodeToken, { recipient: attacker });
  assert.is(refused.status, 403, JSON.stringify(refused.json));
  assert.is(refused.json.error.code, "FORBIDDEN");
  const refusedNamed = await post(creds.nodeToken, { node: "s1", recipient: attacker });
  assert.is(refusedNamed.status, 403);
  assert.is(await recipientOf(), original);
  assert.is((await post("", { node: "s1", recipient: attacker })).status, 401);
  const ok = await post(admin, { node: "s1", recipient: attacker });
  assert.is(ok.status, 200, JSON.stringify(ok.json));
  assert.is(await recipientOf(), attacker);
  assert.is((await post(admin, { node: "nope", recipient: attacker })).status, 404);
  assert.is((await post(admin, { node: "s1", recipient: original })).status, 200);
  assert.is(await recipientOf(), original);
  await apply(500);
  await slaveOn(500);
});

test("a join whose master key was substituted on the way (or a token with another key fingerprint) is refused", async () => {
  const t = await master.cli(["--json", "cluster", "join-token", "--ttl", "10m", "--uses", "2"]);
  const token = JSON.parse(t.stdout).token as string;
  const s9 = new NodeProcess(
    "s9",
    path.join(base, "s9"),
    path.join(base, "s9-live"),
    "s9-key-0123456789abcdefgh",
    1,
  );
  const init = await s9.cli([
    "init",
    "--role",
    "slave",
    "--insecure-http",
    "--node",
    "s9",
    "--live-root",
    s9.liveRoot,
    "--master",
    upUrl,
  ]);
  assert.is(init.code, 0, init.stderr);
  mode = "swap-key";
  try {
    const r = await s9.cli([
      "--json",
      "cluster",
      "join",
      "--insecure-http",
      "--master",
      upUrl,
      "--join-token",
      token,
      "--url",
      "http://127.0.0.1:9",
    ]);
    assert.is.not(r.code, 0);
    assert.match(r.stdout + r.stderr, /RELEASE_UNTRUSTED/);
    assert.match(r.stdout + r.stderr, /fingerprint/);
  } finally {
    mode = "pass";
  }
  const parts = token.split(".");
  parts[2] = "A".repeat(43);
  const wrongFp = await s9.cli([
    "--json",
    "cluster",
    "join",
    "--insecure-http",
    "--master",
    master.url,
    "--join-token",
    parts.join("."),
    "--url",
    "http://127.0.0.1:9",
  ]);
  assert.is.not(wrongFp.code, 0);
  assert.match(wrongFp.stdout + wrongFp.stderr, /RELEASE_UNTRUSTED/);
  const nodes = JSON.parse(await fsp.readFile(syncPaths(path.join(master.home, "state")).nodes, "utf8"));
  assert.not.ok(
    nodes.some((n: any) => n.name === "s9"),
    "s9 was not registered",
  );
  await fsp.access(path.join(s9.home, "state/sync-credentials.json")).then(
    () => assert.unreachable("credentials written"),
    () => undefined,
  );
  const old = await s9.cli([
    "cluster",
    "join",
    "--insecure-http",
    "--master",
    master.url,
    "--join-token",
    "cvj_abcdefabcdefabcdef",
    "--url",
    "http://127.0.0.1:9",
  ]);
  assert.is.not(old.code, 0);
  assert.match(old.stdout + old.stderr, /old format/);
});

test("another node's genuine release handed to this slave is refused before unsealing and does not block the commit", async () => {
  const t = await master.cli(["--json", "cluster", "join-token", "--ttl", "10m"]);
  assert.is(t.code, 0, t.stderr);
  const joined = await request(`${master.url}/api/v1/cluster/join`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      node: "s8",
      url: "http://127.0.0.1:9",
      recipient: await identityToRecipient(await generateIdentity()),
      joinToken: JSON.parse(t.stdout).token,
    }),
  });
  assert.is(joined.status, 201, JSON.stringify(joined.json));
  otherNodeToken = joined.json.nodeToken;
  const before = await slaveStatus();
  const liveBefore = await slave.live();
  mode = "misdirect";
  try {
    await apply(701);
    await waitFor(
      async () => (await slaveStatus()).lastRefused?.reason === "wrong-recipient",
      6000,
      "refused as wrong-recipient",
    );
    const during = await slaveStatus();
    assert.is(during.applied.sequence, before.applied.sequence, "applied sequence unchanged");
    assert.is(during.failed, before.failed, "not recorded as a failure the poller would skip");
    assert.is(await slave.live(), liveBefore, "live config untouched");
  } finally {
    mode = "pass";
  }
  await slaveOn(701);
  await apply(751);
  await slaveOn(751);
});

test.run();
