import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import net from "node:net";
import path from "node:path";
import { cli, ROOT } from "../helpers/temp-home.ts";

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** One node: its home, live root, activation key and port; `serve` runs as its own process. */
export class NodeProcess {
  proc: ChildProcess | undefined;
  log = "";
  /** More environment for this node's CLI runs and its serve process (e.g. GitHub credentials). */
  extraEnv: Record<string, string> = {};
  constructor(
    readonly name: string,
    readonly home: string,
    readonly liveRoot: string,
    readonly key: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get env(): Record<string, string> {
    return { CONFVAULT_ACTIVATION_KEY: this.key, CONFVAULT_LOG_LEVEL: "warn", ...this.extraEnv };
  }

  cli(args: string[]) {
    return cli(["--home", this.home, ...args], this.env);
  }

  async start(): Promise<void> {
    const proc = spawn(
      process.execPath,
      [path.join(ROOT, "bin/confvault.js"), "--home", this.home, "serve", "--port", String(this.port)],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", ...this.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.proc = proc;
    proc.stderr!.on("data", (d) => {
      this.log += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start: ${this.log}`)), 60_000);
      proc.stdout!.on("data", (d) => {
        out += d.toString();
        if (out.includes("listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with ${code}: ${this.log}`));
      });
    });
  }

  /** SIGTERM (graceful) or SIGKILL, and wait for the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill(signal);
    await exited;
    this.proc = undefined;
  }

  livePath(): string {
    return path.join(this.liveRoot, "usr/local/safesquid/security/policies/config.xml");
  }

  async live(): Promise<string> {
    return await fsp.readFile(this.livePath(), "utf8").catch(() => "");
  }

  async patchSettings(patch: (s: Record<string, any>) => void): Promise<void> {
    const file = path.join(this.home, "settings.json");
    const s = JSON.parse(await fsp.readFile(file, "utf8"));
    patch(s);
    await fsp.writeFile(file, JSON.stringify(s, null, 2));
  }

  async hook(event: string, script: string | null): Promise<void> {
    const file = path.join(this.home, "hooks", event);
    if (script === null) await fsp.rm(file, { force: true });
    else await fsp.writeFile(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  }
}

export async function http(
  url: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; json: any }> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
