import { type ChildProcess, spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The credentials s3rver accepts (its documented defaults). */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

export interface S3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** Folder s3rver keeps the objects in (a test can tamper with them there). */
  directory: string;
  bucket: string;
  process: ChildProcess;
  close(): Promise<void>;
}

// Runs in the child: s3rver on an ephemeral port of 127.0.0.1, the port printed as one JSON line.
const CHILD = `
const S3rver = require("s3rver");
const [directory, bucket] = process.argv.slice(1);
new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run()
  .then((addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + "\\n"))
  .catch((err) => { console.error(err); process.exit(1); });
process.on("SIGTERM", () => process.exit(0));
// The parent holds stdin open: when it dies (even by SIGKILL) the server goes too.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/** Starts a real S3-protocol server (the npm s3rver package) as a child process on 127.0.0.1. */
export async function startS3Server(options: { bucket?: string } = {}): Promise<S3Server> {
  const bucket = options.bucket ?? "confvault";
  const directory = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-s3rver-"));
  const child = spawn(process.execPath, ["-e", CHILD, directory, bucket], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c) => {
    stderr += c.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${stderr}`)), 15_000);
    child.stdout?.on("data", (c) => {
      out += c.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${stderr}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    bucket,
    process: child,
    async close() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await done;
      }
      await fsp.rm(directory, { recursive: true, force: true });
    },
  };
}
