import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { newRestorePointName, refFormatProblem, validateRestorePointName } from "../../src/repo/ref-name.ts";
import { gitTry } from "../helpers/git-cli.ts";

const hostile = [
  "",
  "rp/",
  "../x",
  "-x",
  "rp/-x",
  "a/-b",
  "refs/heads/main",
  "rp/refs/heads/main",
  "a..b",
  "x.lock",
  "a/x.lock/b",
  "a@{1}",
  "@{",
  "@",
  "a\u0001b",
  "a\u007fb",
  "a\nb",
  "a b",
  "a~1",
  "a^",
  "a:b",
  "a?",
  "a*",
  "a[b",
  "a\\b",
  "/a",
  "a/",
  ".a",
  "a.",
  "a//b",
  "a/.b",
  "x".repeat(201),
  "rp/" + "x".repeat(198),
  "café",
  "a;rm -rf",
  "a$b",
  "a'b",
];

test("refuses hostile and invalid restore point names with BAD_REF_NAME and a hint", () => {
  for (const name of hostile) {
    let error: unknown = null;
    try {
      validateRestorePointName(name);
    } catch (err) {
      error = err;
    }
    assert.ok(isConfvaultError(error, "BAD_REF_NAME"), `not refused: ${JSON.stringify(name)} (${error})`);
    assert.ok((error as { hint: string }).hint.length > 0);
  }
});

const valid = [
  "before-upgrade",
  "rp/before-upgrade",
  "20261122T004200Z-1",
  "rp/2026/q1",
  "v1.2.3",
  "a_b+c,d=e@f",
  "x".repeat(197),
  "rp/" + "x".repeat(197),
];

test("accepts ordinary names, returns rp/<name>, and git agrees they are valid", () => {
  for (const name of valid) {
    const full = validateRestorePointName(name);
    assert.ok(full.startsWith("rp/"));
    assert.is(full, name.startsWith("rp/") ? name : `rp/${name}`);
    const check = gitTry(null, "check-ref-format", `refs/tags/${full}`);
    assert.is(check.status, 0, `git refuses ${full}: ${check.output}`);
  }
});

test("refFormatProblem agrees with git check-ref-format on git's own rules", () => {
  const cases = [
    "refs/tags/a",
    "refs/tags/a..b",
    "refs/tags/a.lock",
    "refs/tags/.a",
    "refs/tags/a@{b",
    "refs/x/",
    "refs//x",
  ];
  for (const ref of cases) {
    const ours = refFormatProblem(ref) === null;
    const git = gitTry(null, "check-ref-format", ref).status === 0;
    assert.is(ours, git, ref);
  }
});

test("newRestorePointName formats UTC time and sequence", () => {
  const date = new Date(Date.UTC(2026, 10, 22, 0, 42, 0, 123));
  assert.is(newRestorePointName(date, 1), "rp/20261122T004200Z-1");
  assert.is(validateRestorePointName(newRestorePointName(date, 17)), "rp/20261122T004200Z-17");
});

test.run();
