import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { verify } from "../../src/api/verify.ts";
import { openHome } from "../../src/home/open-home.ts";
import { dec, enc, git, ROOT, tempHome } from "../helpers/temp-home.ts";

/** A ~1 MB SafeSquid config: the sample with many rules, so writes take long enough to be interrupted. */
async function bigConfig(variant: string): Promise<Uint8Array> {
  const sample = dec(
    new Uint8Array(await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"))),
  );
  const rules: string[] = [];
  for (let i = 0; i < 4000; i++) {
    rules.push(
      `        <allow id="${1000 + i}">\n            <enabled>TRUE</enabled>\n            <comment>${variant} rule ${i}</comment>\n            <ip>10.${i >> 8}.${i & 255}.0/24</ip>\n        </allow>\n`,
    );
  }
  return enc(sample.replace("    </access>", `${rules.join("")}    </access>`));
}

test("a process killed at any moment during apply leaves git fsck clean and the live file entirely old or entirely new", async () => {
  const h = await tempHome();
  try {
    const a = await bigConfig("A");
    const b = await bigConfig("B");
    const fa = path.join(h.dir, "..", "a.xml");
    const fb = path.join(h.dir, "..", "b.xml");
    await fsp.writeFile(fa, a);
    await fsp.writeFile(fb, b);
    const livePath = h.ctx.live("config")!;
    let kills = 0;
    for (let round = 0; round < 20; round++) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", path.join(ROOT, "test/api/apply-loop.ts"), h.dir, fa, fb],
        {
          cwd: ROOT,
          env: { ...process.env, ...h.env },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout.once("data", () => resolve());
        child.once("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
      });
      child.removeAllListeners("exit");
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 900));
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      kills++;
      await git(h.ctx.layout.gitdir, "fsck", "--strict", "--no-progress");
      const live = await fsp.readFile(livePath).catch(() => undefined);
      if (live !== undefined) {
        const bytes = new Uint8Array(live);
        assert.ok(
          Buffer.compare(bytes, a) === 0 || Buffer.compare(bytes, b) === 0,
          `round ${round}: live file is torn (${bytes.length} bytes)`,
        );
      }
      const tmps = (await fsp.readdir(path.dirname(livePath)).catch(() => [] as string[])).filter((n) =>
        n.endsWith(".tmp"),
      );
      assert.ok(tmps.length <= 1, "at most the one temp file of the killed write is left");
    }
    assert.is(kills, 20);
    // The next process takes over the dead writer's lock and works normally.
    const ctx = await openHome({ dir: h.dir, env: h.env });
    const result = await verify({ ctx });
    assert.ok(result.ok, JSON.stringify(result.points));
    const tip = await ctx.engine.branchTip("main");
    assert.ok(tip, "applies landed between the kills");
  } finally {
    await h.cleanup();
  }
});

test.run();
