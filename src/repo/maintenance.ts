import type { GitCli } from "./git-cli.ts";

export interface ObjectCounts {
  looseCount: number;
  /** Loose objects + packs + garbage, in bytes (git reports KiB). */
  totalBytes: number;
  packs: number;
}

/** `git count-objects -v`, parsed. */
export async function countObjects(git: GitCli): Promise<ObjectCounts> {
  const { stdout } = await git.run(["count-objects", "-v"]);
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(stdout)?.[1] ?? 0);
  return {
    looseCount: field("count"),
    totalBytes: (field("size") + field("size-pack") + field("size-garbage")) * 1024,
    packs: field("packs"),
  };
}
