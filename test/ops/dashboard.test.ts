import { spawn } from "node:child_process";
import { existsSync, promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startServer } from "../../src/cli/start-server.ts";
import { silentLogger } from "../../src/home/context.ts";
import { homeWithHistory, variant } from "../backup/backup-fixtures.ts";
import { gitTestEnv } from "../helpers/git-cli.ts";

const CHROMIUM = "/usr/bin/chromium";
/** The dashboard's page size: the test makes more restore points than one page holds. */
const PAGE = 200;
const EXTRA = 202;

/**
 * `count` annotated restore-point tags on one commit, older than every real point, written by one
 * `git fast-import` (200 applies would take minutes): what a home with years of history lists.
 */
async function bulkTags(gitdir: string, commit: string, count: number): Promise<void> {
  let stream = "";
  for (let i = 0; i < count; i++) {
    const name = `rp/old-${String(i).padStart(3, "0")}`;
    const message = `old change ${i}\n\nConfvault-Reason: old change ${i}\nConfvault-Actor: archivist\nConfvault-Source: apply\n`;
    stream += `tag ${name}\nfrom ${commit}\ntagger archivist <archivist@example.invalid> ${1_600_000_000 + i * 60} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`;
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn("git", [`--git-dir=${gitdir}`, "fast-import", "--quiet"], {
      env: gitTestEnv,
      stdio: ["pipe", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git fast-import: ${code} ${err}`)),
    );
    child.stdin.end(stream);
  });
}

if (!existsSync(CHROMIUM)) {
  test.skip("dashboard in headless Chromium (SKIPPED: /usr/bin/chromium is absent; apt-get install chromium)", () => {});
} else {
  test("dashboard: markers, drift, paging, diff, restore with a preview first, 1400 px and 420 px", async () => {
    const { chromium } = await import("playwright-core");
    const { h, tags } = await homeWithHistory(3);
    const tipCommit = (await h.ctx.engine.branchTip("main"))!;
    const first = (await h.ctx.engine.listTags("rp/")).find((t) => t.name === tags[0])!;
    await bulkTags(h.ctx.layout.gitdir, first.commit, EXTRA);
    // The appliance was put back to the first point by hand: the live file is rp/t0's config.
    await fsp.writeFile(h.ctx.live("config")!, variant(120));

    const shots = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-dashboard-"));
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
        viewport: { width: 1400, height: 900 },
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
      assert.match((await page.textContent("#who")) ?? "", /operator/);
      assert.match((await page.textContent("#timeline")) ?? "", /change 0/);

      // Paging: one page of 200, then "Load more" for the rest.
      assert.is(await page.locator("#timeline li").count(), PAGE);
      assert.ok(await page.isVisible("#load-more"), "a load-more button past the first page");
      await page.click("#load-more");
      await page.waitForFunction((n) => document.querySelectorAll("#timeline li").length === n, 3 + EXTRA);
      assert.not.ok(await page.isVisible("#load-more"), "nothing more to load");
      assert.match(
        (await page.textContent("#points-count")) ?? "",
        new RegExp(`^${3 + EXTRA} restore points shown$`),
      );
      assert.is(
        await page.locator(`#timeline li[data-tag="rp/old-000"]`).count(),
        1,
        "the oldest point is reachable",
      );

      // Markers: the tip of main is current, rp/t0 is what the appliance runs, and that is drift.
      const current = page.locator("#timeline li.is-current");
      assert.is(await current.count(), 1);
      assert.is(await current.getAttribute("data-tag"), tags[2]);
      assert.is(await current.getAttribute("data-commit"), tipCommit);
      assert.is((await current.locator(".badge.current").textContent())?.trim(), "current");
      // rp/t0 and the bulk tags share its commit: each of them is the live config.
      assert.is(await page.locator(`#timeline li[data-tag="${tags[0]}"] .badge.live`).count(), 1);
      assert.is(await page.locator(`#timeline li[data-tag="${tags[1]}"] .badge`).count(), 0);
      assert.is((await page.textContent("#drift-badge"))?.trim(), "drift");
      assert.match(
        (await page.textContent("#markers-text")) ?? "",
        /live config matches an older restore point/,
      );

      // Diff of the oldest (A) and the newest (B), in the reviewer text.
      await page.check(`#timeline li[data-tag="${tags[0]}"] input[data-side="a"]`);
      await page.check(`#timeline li[data-tag="${tags[2]}"] input[data-side="b"]`);
      await page.click("#diff-button");
      await page.waitForSelector("#diff-section:not([hidden])");
      assert.match(
        (await page.textContent("#diff-text")) ?? "",
        /~ general\/general\[id=1\]\/request_timeout: "120" → "122"/,
      );

      // Restore: the preview (current → chosen point) comes first; the reason is asked after it.
      // The diff answer is held back, so the test sees the dialog before the preview arrives.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const previews: string[] = [];
      await page.route("**/api/v1/diff?*", async (route) => {
        previews.push(route.request().url());
        await held;
        await route.continue();
      });
      await page.click(`#timeline li[data-tag="${tags[0]}"] button.restore`);
      await page.waitForSelector("#restore-section:not([hidden])");
      assert.match((await page.textContent("#restore-preview")) ?? "", /Loading the preview/);
      assert.not.ok(
        await page.isVisible("#restore-reason"),
        "no reason is asked before the preview is shown",
      );
      assert.not.ok(await page.isVisible("#restore-confirm"));
      assert.ok(await page.isVisible("#restore-drift"), "the drift is said in the dialog");
      release();
      await page.waitForSelector("#restore-form:not([hidden])");
      const preview = (await page.textContent("#restore-preview")) ?? "";
      assert.match(preview, /~ general\/general\[id=1\]\/request_timeout: "122" → "120"/);
      assert.ok(await page.isVisible("#restore-reason"));
      assert.is(previews.length, 1);
      const asked = new URL(previews[0]);
      assert.is(asked.searchParams.get("from"), tags[2], "the preview is from the current restore point");
      assert.is(asked.searchParams.get("to"), tags[0]);
      await page.unroute("**/api/v1/diff?*");
      await page.screenshot({ path: path.join(shots, "dashboard-1400-restore.png") });

      // The reason is user input and must show as text.
      const reason = '<img src=x id=pwned onerror="document.title=1"> back to change 0';
      await page.fill("#restore-reason", reason);
      await page.click("#restore-confirm");
      await page.waitForFunction(() =>
        document.getElementById("message")?.textContent?.startsWith("Restored"),
      );
      await page.waitForFunction(
        (tag) => document.querySelector("#timeline li")?.getAttribute("data-tag") !== tag,
        tags[2],
      );
      await page.waitForFunction(() => document.querySelectorAll("#timeline li").length === 200);
      const top = page.locator("#timeline li").first();
      assert.match((await top.textContent()) ?? "", /back to change 0/);
      assert.ok(((await top.locator(".reason").textContent()) ?? "").includes("<img src=x"));
      assert.is(await page.locator("#pwned").count(), 0, "the reason was rendered as text, not markup");
      // After the restore the new point is current and live: no drift.
      assert.is(await top.locator(".badge.current").count(), 1);
      assert.is(await top.locator(".badge.live").count(), 1);
      assert.is((await page.textContent("#drift-badge"))?.trim(), "in sync");
      assert.ok(await page.isVisible("#load-more"), "paging starts again from the first page");
      await page.screenshot({ path: path.join(shots, "dashboard-1400.png") });
      await page.screenshot({ path: path.join(shots, "dashboard-1400-full.png"), fullPage: true });

      // 420 px: one column, nothing wider than the window, restore dialog included.
      await page.setViewportSize({ width: 420, height: 900 });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(shots, "dashboard-420.png") });
      await page.click(`#timeline li[data-tag="${tags[1]}"] button.restore`);
      await page.waitForSelector("#restore-form:not([hidden])");
      // The dialog comes up over the timeline, in the window, not 200 points further down.
      const sheet = (await page.locator("#restore-section").boundingBox())!;
      assert.ok(sheet.y >= 0 && sheet.y + sheet.height <= 900 && sheet.width <= 420, JSON.stringify(sheet));
      assert.ok(await page.locator("#restore-confirm").isVisible());
      await page.screenshot({ path: path.join(shots, "dashboard-420-restore.png") });
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        body: document.body.scrollWidth,
        inner: window.innerWidth,
      }));
      assert.ok(widths.scroll <= widths.inner, `no horizontal overflow at 420 px: ${JSON.stringify(widths)}`);
      assert.ok(widths.body <= widths.inner, `no horizontal overflow at 420 px: ${JSON.stringify(widths)}`);
      assert.is(await page.locator("#timeline li .badge.current").count(), 1, "markers at 420 px");
      await page.click("#restore-cancel");
      await page.screenshot({ path: path.join(shots, "dashboard-420-full.png"), fullPage: true });
      console.log(`  screenshots: ${shots}`);
      assert.equal(problems, []);
    } finally {
      await browser.close();
      await server.close();
      await h.cleanup();
    }
  });

  test("restore points page with offset; a viewer sees markers but no restore button", async () => {
    const { h, tags } = await homeWithHistory(3);
    const server = await startServer(h.ctx, {
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      schedules: false,
    });
    try {
      const viewer = h.tokens.find((t) => t.role === "viewer")!;
      const get = async (p: string) => {
        const r = await fetch(`${server.url}/api/v1${p}`, {
          headers: { authorization: `Bearer ${viewer.token}` },
        });
        return { status: r.status, body: (await r.json()) as any };
      };
      const page2 = await get("/restore-points?limit=2&offset=1");
      assert.equal(
        page2.body.restorePoints.map((p: { tag: string }) => p.tag),
        [tags[1], tags[0]],
      );
      assert.equal((await get("/restore-points?limit=2&offset=0")).body.restorePoints.length, 2);
      assert.equal((await get("/restore-points?offset=3")).body.restorePoints, []);
      assert.is((await get("/restore-points?offset=-1")).status, 400);
      const markers = (await get("/ops/points")).body;
      assert.is(markers.current.tag, tags[2]);
      assert.is(markers.live.tag, tags[2]);
      assert.is(markers.drift, "none");
      await fsp.writeFile(h.ctx.live("config")!, "<safesquid/>");
      const drifted = (await get("/ops/points")).body;
      assert.is(drifted.live, null);
      assert.is(drifted.drift, "live config matches no restore point");
      await fsp.rm(h.ctx.live("config")!);
      assert.is((await get("/ops/points")).body.drift, "live config missing");
    } finally {
      await server.close();
      await h.cleanup();
    }
  });
}

test.run();
