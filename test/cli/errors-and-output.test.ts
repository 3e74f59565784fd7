import { promises as fsp } from "node:fs";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ErrorCode } from "../../src/errors/confvault-error.ts";
import { ERROR_TABLE, errorTableMarkdown } from "../../src/errors/error-table.ts";
import { defaultHintFor, exitCodeFor, httpStatusFor } from "../../src/errors/status-map.ts";
import { ROOT } from "../helpers/temp-home.ts";

const codes = Object.keys(ERROR_TABLE) as ErrorCode[];

test("the README's exit-code table is the error table, row for row", async () => {
  const readme = await fsp.readFile(path.join(ROOT, "README.md"), "utf8");
  const section = /<!-- exit-codes:start[^>]*-->\n([\s\S]*?)\n<!-- exit-codes:end -->/.exec(readme)?.[1];
  assert.ok(section, "README has the generated exit-code table");
  assert.fixture(section, errorTableMarkdown());
  // And parsed back: every code, its exit status and HTTP status as the CLI and server use them.
  const rows = section
    .split("\n")
    .slice(2)
    .map((line) => line.split("|").map((c) => c.trim()));
  assert.equal(
    rows.map((r) => r[1]!.replace(/`/g, "")),
    codes,
  );
  for (const r of rows) {
    const code = r[1]!.replace(/`/g, "") as ErrorCode;
    assert.is(Number(r[2]), exitCodeFor(code), code);
    assert.is(Number(r[3]), httpStatusFor(code), code);
  }
});

test("exit 2 is bad usage or input, 1 a failed operation; every code has a row", () => {
  for (const code of [
    "BAD_USAGE",
    "BAD_INPUT",
    "XML_MALFORMED",
    "XML_ENTITY_LIMIT",
    "XML_EXTERNAL_ENTITY",
    "UNSUPPORTED_ENCODING",
    "BAD_REF_NAME",
    "REF_AMBIGUOUS",
    "REF_NOT_FOUND",
    "TAG_EXISTS",
    "SETTINGS_INVALID",
  ] as ErrorCode[])
    assert.is(exitCodeFor(code), 2, code);
  for (const code of [
    "HOME_NOT_FOUND",
    "HOOK_FAILED",
    "HEALTH_FAILED",
    "LOCKED",
    "PORT_IN_USE",
    "INTERNAL",
  ] as ErrorCode[])
    assert.is(exitCodeFor(code), 1, code);
  for (const code of codes) {
    const row = ERROR_TABLE[code];
    assert.ok(row.exit === 1 || row.exit === 2, code);
    assert.ok(row.http >= 200 && row.http < 600, code);
    assert.ok(row.meaning.length > 0, code);
    assert.is(defaultHintFor(code), row.hint);
  }
  assert.is(httpStatusFor("REF_NOT_FOUND"), 404);
  assert.is(httpStatusFor("UNAUTHORIZED"), 401);
  assert.is(exitCodeFor("NO_SUCH_CODE" as ErrorCode), 1, "an unknown code reads as INTERNAL");
});

test.run();
