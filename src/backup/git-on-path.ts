import { execFile } from "node:child_process";

/** True when a working `git` is on PATH (checked once per call; ~2 ms). */
export function gitOnPath(binary = "git"): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(binary, ["--version"], { timeout: 10_000 }, (err) => resolve(!err));
  });
}
