import { existsSync, promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyConfig } from "../../src/api/apply.ts";
import { prune } from "../../src/api/prune.ts";
import { startServer } from "../../src/cli/start-server.ts";
import { silentLogger } from "../../src/home/context.ts";
import { openHome } from "../../src/home/open-home.ts";
import { dec, enc, git, ROOT, tempHome } from "../helpers/temp-home.ts";

const CHROMIUM = "/usr/bin/chromium";
const SAMPLE = await fsp.readFile(path.join(ROOT, "templates/sample/safesquid-config.xml"), "utf8");
const HOUR = 3_600_000;
const BASE = Date.parse("2026-11-01T00:00:00Z");

/** Point i: its own access, ldap and dlp edits; the newest (4) also lacks the wccp section. */
function config(i: number): string {
  const t = `v${i}`;
  const text = SAMPLE.replace("</access>", `<allow id="91"><comment>${t} access</comment></allow></access>`)
    .replace('<ldapsection id="107">', `<ldapsection id="107"><comment>${t} ldap</comment>`)
    .replace("</dlp>", `<!-- ${t} dlp --></dlp>`);
  return i === 4 ? text.replace(/\n[ \t]*<wccp>[\s\S]*?<\/wccp>/, "") : text;
}

if (!existsSync(CHROMIUM)) {
  test.skip("dashboard restore choices in headless Chromium (SKIPPED: /usr/bin/chromium is absent)", () => {});
} else {
  test("dashboard: time picker, Deleted view with undelete, partial restore of one section picked from the diff", async () => {
    const { chromium } = await import("playwright-core");
    let clock = BASE;
    const h = await tempHome({ now: new Date(BASE) });
    const ctx = await openHome({ dir: h.dir, env: h.env, now: () => new Date(clock) });
    const tags: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock = BASE + i * HOUR;
      tags.push((await applyConfig({ ctx, config: enc(config(i)), reason: `v${i}`, actor: "t" })).tag);
    }
    clock = BASE + 5 * HOUR;
    // Generated names, so prune may take them: v0 and v1 go to the trash.
    assert.is((await prune({ ctx, policy: { keepLast: 3 }, actor: "t" })).removed.length, 2);
    clock = BASE + 6 * HOUR;

    const shots = await fsp.mkdtemp(path.join(os.tmpdir(), "confvault-dashboard-restore-"));
    const server = await startServer(ctx, {
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      schedules: false,
    });
    const profile = await fsp.mkdtemp(path.join(h.dir, "..", "chromium-"));
    const browser = await chromium
      .launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 900 },
        // The picker takes local time: Berlin is UTC+1 in November.
        timezoneId: "Europe/Berlin",
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
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
        // A refused request (the 404 before the first point, the 400 refusal) is logged by the browser itself.
        if (m.type() === "error" && !/status of 40[04]/.test(m.text())) problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(`${server.url}/dashboard/`);
      const operator = h.tokens.find((t) => t.role === "operator")!;
      await page.fill("#token", operator.token);
      await page.click("#login-form button[type=submit]");
      await page.waitForSelector("#timeline li");
      assert.is(await page.locator("#timeline li").count(), 3);

      // The Deleted view lists the trash.
      await page.waitForSelector("#trash tr[data-tag]");
      assert.equal(
        (
          await page
            .locator("#trash tr[data-tag]")
            .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-tag")))
        ).sort(),
        [tags[0], tags[1]].sort(),
      );
      assert.match((await page.textContent(`#trash tr[data-tag="${tags[1]}"]`)) ?? "", /2026-11-08 05:00Z/);

      // Time picker: 03:30 Berlin is 02:30Z, when v2 (made 02:00Z) was in force.
      const findAt = async (local: string) => {
        const before = await page.textContent("#at-result");
        await page.fill("#at-time", local);
        await page.click("#at-button");
        await page.waitForFunction((b) => document.getElementById("at-result")?.textContent !== b, before);
        return (await page.textContent("#at-result")) ?? "";
      };
      assert.match(await findAt("2026-11-01T03:30:00"), new RegExp(`${tags[2]}.*picked as A`));
      assert.is(await page.locator("#timeline li.is-at").getAttribute("data-tag"), tags[2]);
      assert.ok(await page.isChecked(`#timeline li[data-tag="${tags[2]}"] input[data-side="a"]`));
      assert.match(
        await findAt("2026-11-01T02:30:00"),
        /restore point was pruned/,
        "01:30Z: v1, in the trash",
      );
      assert.is(await page.locator("#timeline li.is-at").count(), 0);
      assert.match(
        await findAt("2026-11-01T00:30:00"),
        /^No restore point was in force at 2026-10-31T23:30:00\.000Z: the first one was made at 2026-11-01T00:00:00/,
      );
      await page.screenshot({ path: path.join(shots, "dashboard-deleted-and-at.png") });

      // Undelete v1 from the Deleted view: it lists again, and the picker now finds it.
      await page.click(`#trash tr[data-tag="${tags[1]}"] button.undelete`);
      await page.waitForFunction(() =>
        document.getElementById("message")?.textContent?.startsWith("Brought"),
      );
      await page.waitForFunction(() => document.querySelectorAll("#timeline li").length === 4);
      await page.waitForFunction(() => document.querySelectorAll("#trash tr[data-tag]").length === 1);
      assert.is(await page.locator(`#trash tr[data-tag="${tags[0]}"]`).count(), 1);
      assert.match(await findAt("2026-11-01T02:30:00"), new RegExp(tags[1]!));
      assert.is(await page.locator("#timeline li.is-at").getAttribute("data-tag"), tags[1]);

      // Partial restore of v2 onto v4: one box per changed top-level section, whole point by default.
      await page.click(`#timeline li[data-tag="${tags[2]}"] button.restore`);
      await page.waitForSelector("#restore-form:not([hidden])");
      assert.ok(await page.isChecked("#scope-whole"));
      assert.not.ok(await page.isVisible("#section-list"));
      await page.check("#scope-sections");
      const offered = await page
        .locator("#section-list input[data-section]")
        .evaluateAll((boxes) => boxes.map((b) => b.getAttribute("data-section")));
      assert.equal(
        [...offered].sort(),
        ["access", "ldap", "wccp"],
        "a comment-only change (dlp) is no policy change",
      );
      assert.is(await page.locator("#pick-certificate").count(), 0, "the certificate did not change");
      // access plus wccp (only in v2): refused with the list first.
      await page.check('#section-list input[data-section="access"]');
      await page.check('#section-list input[data-section="wccp"]');
      await page.fill("#restore-reason", "access as in v2");
      const sent: unknown[] = [];
      page.on("request", (r) => {
        if (r.url().endsWith("/api/v1/restore")) sent.push(r.postDataJSON());
      });
      await page.click("#restore-confirm");
      await page.waitForSelector("#restore-error:not([hidden])");
      assert.match((await page.textContent("#restore-error-list")) ?? "", /wccp/);
      assert.ok(await page.isVisible("#restore-form"), "the dialog stays open for the choice");
      await page.screenshot({ path: path.join(shots, "dashboard-partial-refused.png") });
      // Skip what exists on one side only: only access comes from v2.
      await page.selectOption("#restore-missing", "skip");
      await page.click("#restore-confirm");
      await page.waitForFunction(() =>
        document.getElementById("message")?.textContent?.startsWith("Restored"),
      );
      assert.equal(sent, [
        { tag: tags[2], reason: "access as in v2", sections: ["access", "wccp"] },
        { tag: tags[2], reason: "access as in v2", sections: ["access", "wccp"], missing: "skip" },
      ]);
      await page.waitForFunction((n) => document.querySelectorAll("#timeline li").length === n, 5);
      const made = await page.locator("#timeline li").first().getAttribute("data-tag");
      assert.ok(made && !tags.includes(made), String(made));
      assert.match((await page.textContent("#message")) ?? "", /\(access only; kept as they were: wccp\)/);

      // The new point differs from the old (v4) only in access, which is v2's, byte for byte.
      const live = dec(new Uint8Array(await fsp.readFile(ctx.live("config")!)));
      assert.is(live, config(4).replace("v4 access", "v2 access"));
      const d = await fetch(
        `${server.url}/api/v1/diff?from=${encodeURIComponent(tags[4]!)}&to=${encodeURIComponent(made!)}`,
        {
          headers: { authorization: `Bearer ${operator.token}` },
        },
      ).then((r) => r.json() as Promise<{ entries: { path: string }[] }>);
      assert.ok(d.entries.length > 0);
      for (const e of d.entries) assert.match(e.path, /^access\//);
      const msg = await git(ctx.layout.gitdir, "log", "-1", "--format=%B", "main");
      assert.match(msg, /Confvault-Restored-Sections: access replaced/);

      // 420 px: the dialog with its section boxes still fits.
      await page.setViewportSize({ width: 420, height: 900 });
      await page.click(`#timeline li[data-tag="${tags[3]}"] button.restore`);
      await page.waitForSelector("#restore-form:not([hidden])");
      await page.check("#scope-sections");
      await page.screenshot({ path: path.join(shots, "dashboard-420-sections.png") });
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
      }));
      assert.ok(widths.scroll <= widths.inner, JSON.stringify(widths));
      await page.click("#restore-cancel");

      // A viewer sees the trash and uses the time picker, but has no Undelete (nor Restore) button.
      const viewerPage = await browser.newPage();
      viewerPage.on("pageerror", (e) => problems.push(e.message));
      await viewerPage.goto(`${server.url}/dashboard/`);
      await viewerPage.fill("#token", h.tokens.find((t) => t.role === "viewer")!.token);
      await viewerPage.click("#login-form button[type=submit]");
      await viewerPage.waitForSelector(`#trash tr[data-tag="${tags[0]}"]`);
      assert.is(await viewerPage.locator("#trash button.undelete").count(), 0);
      assert.is(await viewerPage.locator("#timeline button.restore").count(), 0);
      await viewerPage.fill("#at-time", "2026-11-01T04:10:00");
      await viewerPage.click("#at-button");
      await viewerPage.waitForSelector("#timeline li.is-at");
      assert.is(await viewerPage.locator("#timeline li.is-at").getAttribute("data-tag"), tags[3]);
      console.log(`  screenshots: ${shots}`);
      assert.equal(problems, []);
    } finally {
      await browser.close();
      await server.close();
      await h.cleanup();
    }
  });
}

test.run();
