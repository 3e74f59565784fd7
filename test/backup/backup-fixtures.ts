import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { applyConfig } from "../../src/api/apply.ts";
import { gitTestEnv } from "../helpers/git-cli.ts";
import { dec, enc, ROOT, sharedFixture, type TempHome, tempHome } from "../helpers/temp-home.ts";

const run = promisify(execFile);

export const SAMPLE = new Uint8Array(
  await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml")),
);
/** The pyca root certificate and key from ../shared/fixtures/real, when present. */
export const PYCA = await (async () => {
  const cert = await sharedFixture("pyca-root-cert.pem");
  const key = await sharedFixture("pyca-root-key.pem");
  return cert && key ? { cert: dec(cert), key: dec(key) } : undefined;
})();

/** SAMPLE with request_timeout set to n: a distinct, valid config per restore point. */
export function variant(n: number): Uint8Array {
  return enc(
    dec(SAMPLE).replace("<request_timeout>120</request_timeout>", `<request_timeout>${n}</request_timeout>`),
  );
}

/** A home with `count` restore points (the first one with the pyca pair when asked). */
export async function homeWithHistory(
  count: number,
  options: { withCert?: boolean; cluster?: string } = {},
): Promise<{ h: TempHome; tags: string[] }> {
  const h = await tempHome(options.cluster ? { cluster: options.cluster } : {});
  const tags: string[] = [];
  for (let i = 0; i < count; i++) {
    const pair = i === 0 && options.withCert && PYCA ? PYCA : {};
    const r = await applyConfig({
      ctx: h.ctx,
      config: variant(120 + i),
      ...pair,
      reason: `change ${i}`,
      actor: "tester",
      tag: `rp/t${i}`,
    });
    tags.push(r.tag);
  }
  return { h, tags };
}

/** Async git (the http server lives in this process: a sync call would block it). */
export async function gitAsync(gitdir: string | null, ...args: string[]): Promise<string> {
  const argv = gitdir === null ? args : [`--git-dir=${gitdir}`, ...args];
  const { stdout } = await run("git", argv, { env: gitTestEnv, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * Commits onto main of a bare repository a copy of main's tree with one file replaced:
 * what someone editing the off-site copy by hand (or an attacker) would do.
 */
export async function commitReplacedFile(
  gitdir: string,
  file: string,
  change: (bytes: Buffer) => Buffer,
): Promise<void> {
  const original = await run("git", [`--git-dir=${gitdir}`, "cat-file", "blob", `main:${file}`], {
    env: gitTestEnv,
    encoding: "buffer",
    maxBuffer: 64 * 1024 * 1024,
  });
  const changed = change(original.stdout as unknown as Buffer);
  const blob = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      "git",
      [`--git-dir=${gitdir}`, "hash-object", "-w", "--stdin"],
      { env: gitTestEnv },
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
    );
    child.stdin?.end(changed);
  });
  const tree = (await gitAsync(gitdir, "ls-tree", "main"))
    .trim()
    .split("\n")
    .map((line) => (line.endsWith(`\t${file}`) ? line.replace(/blob [0-9a-f]{40}/, `blob ${blob}`) : line))
    .join("\n");
  const treeOid = await new Promise<string>((resolve, reject) => {
    const child = execFile("git", [`--git-dir=${gitdir}`, "mktree"], { env: gitTestEnv }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
    child.stdin?.end(`${tree}\n`);
  });
  const commit = (
    await gitAsync(gitdir, "commit-tree", treeOid, "-p", "main", "-m", `edit ${file} by hand`)
  ).trim();
  await gitAsync(gitdir, "update-ref", "refs/heads/main", commit);
}

export async function exists(p: string): Promise<boolean> {
  return (await fsp.stat(p).catch(() => undefined)) !== undefined;
}

/** Every file under a folder with its bytes (to prove "nothing was written"). */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await fsp.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[path.relative(dir, p)] = (await fsp.readFile(p)).toString("base64");
    }
  };
  await walk(dir);
  return out;
}
