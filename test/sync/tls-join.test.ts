import { promises as fsp } from "node:fs";
import path from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { syncPaths } from "../../src/sync/json-state.ts";
import { createPinnedFetch } from "../../src/sync/pinned-fetch.ts";
import { ROOT, tempDir } from "../helpers/temp-home.ts";
import { waitFor } from "./in-process.ts";
import { freePort, NodeProcess } from "./processes.ts";

// A master serving HTTPS with the self-signed pair `init --role master` made; slaves join with a
// token carrying that certificate's fingerprint and talk to the master only through it.
const test = suite("join over pinned TLS");
const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");

class HttpsNode extends NodeProcess {
  override get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }
}

let base: string;
let master: HttpsNode;
let slave: NodeProcess;
let admin: string;
let fingerprint: string;
let pinned: ReturnType<typeof createPinnedFetch>;

const token = async (): Promise<string> => {
  const t = await master.cli(["--json", "cluster", "join-token", "--ttl", "10m"]);
  assert.is(t.code, 0, t.stderr);
  return JSON.parse(t.stdout).token as string;
};

test.before(async () => {
  base = await tempDir("confvault-tls-");
  const [mp, sp] = await Promise.all([freePort(), freePort()]);
  master = new HttpsNode(
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
  const init = await master.cli([
    "--json",
    "init",
    "--role",
    "master",
    "--node",
    "m1",
    "--cluster",
    "lab",
    "--live-root",
    master.liveRoot,
  ]);
  assert.is(init.code, 0, init.stderr);
  const made = JSON.parse(init.stdout);
  admin = made.tokens.find((t: { role: string }) => t.role === "operator").token;
  fingerprint = made.tls?.fingerprint256;
  assert.match(fingerprint ?? "", /^[0-9a-f]{64}$/, "init made a TLS pair");
  pinned = createPinnedFetch({ fingerprint256: fingerprint });
  await master.patchSettings((s) => {
    s.sync = { watchIntervalMs: 50, retries: 1, retryBaseMs: 100 };
  });
  await master.start();
});

test.after(async () => {
  await Promise.all([master, slave].map((n) => n?.stop("SIGKILL")));
  await fsp.rm(base, { recursive: true, force: true });
});

test("a slave joins an HTTPS master with the token's certificate fingerprint, pins it and syncs over it", async () => {
  await fsp.mkdir(path.dirname(slave.livePath()), { recursive: true });
  await fsp.writeFile(slave.livePath(), SAMPLE);
  const r = await slave.cli([
    "init",
    "--role",
    "slave",
    "--node",
    "s1",
    "--live-root",
    slave.liveRoot,
    "--master",
    master.url,
    "--url",
    slave.url,
    "--join-token",
    await token(),
  ]);
  assert.is(r.code, 0, r.stderr);
  const creds = JSON.parse(await fsp.readFile(path.join(slave.home, "state/sync-credentials.json"), "utf8"));
  assert.is(creds.tlsFingerprint256, fingerprint);
  assert.is(creds.insecureHttp, undefined);
  await slave.start();
  const applied = await pinned(`${master.url}/api/v1/apply?reason=tls`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/xml" },
    body: SAMPLE.replace("<request_timeout>120</request_timeout>", "<request_timeout>777</request_timeout>"),
  });
  assert.is(applied.status, 201, await applied.text());
  await waitFor(
    async () => (await slave.live()).includes("<request_timeout>777</request_timeout>"),
    8000,
    "slave on 777",
  );
});

test("a join token with another certificate fingerprint, or a plain http:// master without --insecure-http, is refused before the token is sent", async () => {
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
    "--node",
    "s9",
    "--live-root",
    s9.liveRoot,
    "--master",
    master.url,
  ]);
  assert.is(init.code, 0, init.stderr);
  const parts = (await token()).split(".");
  parts[3] = "A".repeat(43);
  const wrong = await s9.cli([
    "cluster",
    "join",
    "--master",
    master.url,
    "--join-token",
    parts.join("."),
    "--url",
    "http://127.0.0.1:9",
  ]);
  assert.is.not(wrong.code, 0);
  assert.match(wrong.stdout + wrong.stderr, /TLS_UNTRUSTED|not the pinned one/);
  const plain = await s9.cli([
    "cluster",
    "join",
    "--master",
    `http://127.0.0.1:${master.port}`,
    "--join-token",
    await token(),
    "--url",
    "http://127.0.0.1:9",
  ]);
  assert.is.not(plain.code, 0);
  assert.match(plain.stdout + plain.stderr, /INSECURE_TRANSPORT|plain HTTP/);
  const nodes = JSON.parse(await fsp.readFile(syncPaths(path.join(master.home, "state")).nodes, "utf8"));
  assert.not.ok(nodes.some((n: { name: string }) => n.name === "s9"));
});

test.run();
