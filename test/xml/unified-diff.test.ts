import { test } from "uvu";
import * as assert from "uvu/assert";
import { unifiedDiff } from "../../src/xml/unified-diff.ts";

const before = ["<r>", "  <a>1</a>", "  <b>2</b>", "  <c>3</c>", "  <d>4</d>", "  <e>5</e>", "</r>", ""].join(
  "\n",
);

test("a unified diff has file headers, a hunk header and -/+ lines with context", () => {
  const out = unifiedDiff(before, before.replace("<c>3</c>", "<c>33</c>"), {
    fromLabel: "a/config.xml (rp/1)",
    toLabel: "b/config.xml (rp/2)",
  });
  assert.is(
    out,
    [
      "--- a/config.xml (rp/1)",
      "+++ b/config.xml (rp/2)",
      "@@ -1,7 +1,7 @@",
      " <r>",
      "   <a>1</a>",
      "   <b>2</b>",
      "-  <c>3</c>",
      "+  <c>33</c>",
      "   <d>4</d>",
      "   <e>5</e>",
      " </r>",
      "",
    ].join("\n"),
  );
});

test("equal texts give an empty diff", () => {
  assert.is(unifiedDiff(before, before, { fromLabel: "a", toLabel: "b" }), "");
});

test("a missing final newline is marked", () => {
  const out = unifiedDiff("<r/>\n", "<r/>", { fromLabel: "a", toLabel: "b" });
  assert.match(out, "\\ No newline at end of file");
});

test.run();
