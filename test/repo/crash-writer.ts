// Child process of crash.test.ts: commits 1 MB configs in a loop until it is SIGKILLed.
// Started as `CONFVAULT_CRASH_WRITER=1 node --import tsx test/repo/crash-writer.ts <dir>.git`.
import fs from "node:fs";
import { createRepoEngine } from "../../src/repo/create-engine.ts";
import { createGitCli } from "../../src/repo/git-cli.ts";
import { configVersion, versionOf } from "./crash-content.ts";

async function main(gitdir: string): Promise<void> {
  const engine = createRepoEngine({ gitdir, fs, git: createGitCli({ gitdir }), staleLockMs: 100 });
  await engine.init();
  let tip = await engine.branchTip("main");
  let n = tip ? versionOf(await engine.readFile(tip, "config.xml")) + 1 : 0;
  process.stdout.write("ready\n");
  for (;;) {
    const author = { name: "Crash Test", email: "crash@example.invalid", timestamp: 1_790_000_000 + n };
    const files = { "config.xml": configVersion(n), "manifest.json": Buffer.from(`{"version":${n}}\n`) };
    const separateTag = n % 4 === 3;
    tip = await engine.commitFiles({
      branch: "main",
      files,
      message: `version ${n}`,
      author,
      expectedParent: tip,
      tag: separateTag ? undefined : { name: `rp/v${n}`, message: `v${n}` },
    });
    if (separateTag)
      await engine.createTag({ name: `rp/v${n}`, commit: tip, message: `v${n}`, tagger: author });
    n++;
  }
}

// Only when spawned by crash.test.ts: a test runner importing this file must not start writing.
const gitdir = process.argv[2];
if (process.env.CONFVAULT_CRASH_WRITER === "1" && gitdir?.endsWith(".git")) {
  main(gitdir).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
