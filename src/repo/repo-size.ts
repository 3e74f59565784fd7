import { errorCode, type RepoFs } from "./repo-fs.ts";

export interface RepoSize {
  /**
   * Bytes on disk: loose objects, packs, objects/info, the tag index (confvault/) and the
   * gitdir's top-level files (packed-refs, config…); loose refs (41 bytes each) are left out.
   */
  bytes: number;
  looseObjects: number;
  packs: number;
  /** True when the loose objects' size was sampled rather than summed. */
  estimated: boolean;
}

const FANOUT = /^[0-9a-f]{2}$/;

/**
 * Sizes a repository without a `stat` per loose object (what made `/status` grow with history):
 * the 256 fan-out folders are listed (names only, an exact count), and the loose objects' bytes
 * are `count × the mean size of up to `sample` of them`, spread evenly over the folders. Packs
 * and top-level files are summed exactly. Small repositories (≤ `sample` loose objects) are
 * summed exactly too.
 */
export async function measureRepoSize(fs: RepoFs, gitdir: string, sample = 256): Promise<RepoSize> {
  const list = async (dir: string) =>
    fs.promises.readdir(dir, { withFileTypes: true }).catch((err) => {
      if (errorCode(err) === "ENOENT" || errorCode(err) === "ENOTDIR") return [];
      throw err;
    });
  const size = async (file: string) => (await fs.promises.stat(file).catch(() => ({ size: 0 }))).size;
  const objects = `${gitdir}/objects`;
  const [top, fanout, packDir, info, ours] = await Promise.all([
    list(gitdir),
    list(objects),
    list(`${objects}/pack`),
    list(`${objects}/info`),
    list(`${gitdir}/confvault`),
  ]);
  const folders = fanout.filter((e) => e.isDirectory() && FANOUT.test(e.name)).map((e) => e.name);
  const loose = (
    await Promise.all(
      folders.map(async (folder) =>
        (
          await list(`${objects}/${folder}`)
        )
          .filter((e) => !e.isDirectory() && !e.name.startsWith("tmp"))
          .map((e) => `${objects}/${folder}/${e.name}`),
      ),
    )
  ).flat();
  const step = loose.length <= sample ? 1 : loose.length / sample;
  const picked: string[] = [];
  for (let at = 0; Math.floor(at) < loose.length && picked.length < sample; at += step)
    picked.push(loose[Math.floor(at)]!);
  const sizes = await Promise.all(picked.map(size));
  const sampled = sizes.reduce((a, b) => a + b, 0);
  const looseBytes = picked.length === 0 ? 0 : Math.round((sampled / picked.length) * loose.length);
  const files = [
    ...top.filter((e) => e.isFile()).map((e) => `${gitdir}/${e.name}`),
    ...packDir.filter((e) => e.isFile()).map((e) => `${objects}/pack/${e.name}`),
    ...info.filter((e) => e.isFile()).map((e) => `${objects}/info/${e.name}`),
    ...ours.filter((e) => e.isFile()).map((e) => `${gitdir}/confvault/${e.name}`),
  ];
  const fixed = (await Promise.all(files.map(size))).reduce((a, b) => a + b, 0);
  return {
    bytes: looseBytes + fixed,
    looseObjects: loose.length,
    packs: packDir.filter((e) => e.isFile() && e.name.endsWith(".pack")).length,
    estimated: picked.length < loose.length,
  };
}
