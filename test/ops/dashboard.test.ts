import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startServer } from "../../src/cli/start-server.ts";
import { silentLogger } from "../../src/home/context.ts";
import { homeWithHistory } from "../backup/backup-fixtures.ts";
import { ROOT } from "../helpers/temp-home.ts";

const CHROMIUM = "/usr/bin/chromium";

if (!existsSync(CHROMIUM)) {
  test.skip("dashboard in headless Chromium (SKIPPED: /usr/bin/chromium is absent; apt-get install chromium)", () => {});
} else {
  test("dashboard: log in, see restore points, diff two, restore one with a reason, screenshot", async () => {
    const { chromium } = await import("playwright-core");
    const { h, tags } = await homeWithHistory(3);
    const server = await startServer(h.ctx, {
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      schedules: false,
    });
    const profile = await fsp.mkdtemp(path.join(h.dir, "..", "chromium-"));
    // A fresh profile folder (playwright passes it as --user-data-dir).
    const browser = await chromium
      .launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 900 },
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      })
      .catch(async (err) => {
        await server.close();
        await h.cleanup();
        throw err;
      });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`${m.text()} ${m.location().url}`);
      });
      page.on("pageerror", (e) => problems.push(e.message));
      const res = await page.goto(`${server.url}/dashboard`);
      assert.is(res?.status(), 200);
      const csp = (await res?.allHeaders())?.["content-security-policy"] ?? "";
      assert.match(csp, /script-src 'self'/);
      assert.not.match(csp, /unsafe-inline/);

      const operator = h.tokens.find((t) => t.role === "operator")!;
      await page.fill("#token", operator.token);
      await page.click("#login-form button[type=submit]");
      await page.waitForSelector("#timeline li");
      assert.is(await page.locator("#timeline li").count(), 3);
      assert.match((await page.textContent("#who")) ?? "", /operator/);
      assert.match((await page.textContent("#timeline")) ?? "", /change 0/);

      // Diff of the oldest (A) and the newest (B).
      await page.check(`#timeline li[data-tag="${tags[0]}"] input[data-side="a"]`);
      await page.check(`#timeline li[data-tag="${tags[2]}"] input[data-side="b"]`);
      await page.click("#diff-button");
      await page.waitForSelector("#diff-section:not([hidden])");
      assert.match((await page.textContent("#diff-text")) ?? "", /request_timeout/);

      // Restore the oldest point; the reason is user input and must show as text.
      const reason = '<img src=x id=pwned onerror="document.title=1"> back to change 0';
      await page.click(`#timeline li[data-tag="${tags[0]}"] button.restore`);
      await page.fill("#restore-reason", reason);
      await page.click("#restore-confirm");
      await page.waitForFunction(() =>
        document.getElementById("message")?.textContent?.startsWith("Restored"),
      );
      await page.waitForFunction(() => document.querySelectorAll("#timeline li").length === 4);
      const top = page.locator("#timeline li").first();
      assert.match((await top.textContent()) ?? "", /back to change 0/);
      assert.ok(((await top.locator(".reason").textContent()) ?? "").includes("<img src=x"));
      assert.is(await page.locator("#pwned").count(), 0, "the reason was rendered as text, not markup");

      await fsp.mkdir(path.join(ROOT, "test-output"), { recursive: true });
      await page.screenshot({ path: path.join(ROOT, "test-output", "dashboard.png"), fullPage: true });
      assert.equal(problems, []);
    } finally {
      await browser.close();
      await server.close();
      await h.cleanup();
    }
  });
}

test.run();
