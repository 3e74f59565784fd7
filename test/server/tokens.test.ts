import { test } from "uvu";
import * as assert from "uvu/assert";
import { createToken, createTokenVerifier, hashToken, tokenRecordSchema } from "../../src/server/tokens.ts";

test("createToken gives a cv_ token of 32 random bytes and a record holding only its SHA-256", async () => {
  const { token, record } = await createToken("alice", "operator", new Date("2026-11-22T00:42:00Z"));
  assert.match(token, /^cv_[A-Za-z0-9_-]{43}$/);
  assert.equal(Object.keys(record).sort(), ["created", "hash", "name", "role"]);
  assert.is(record.name, "alice");
  assert.is(record.role, "operator");
  assert.is(record.created, "2026-11-22T00:42:00.000Z");
  assert.match(record.hash, /^[0-9a-f]{64}$/);
  assert.is(record.hash, await hashToken(token));
  const stored = JSON.stringify(record);
  assert.not.match(stored, token);
  assert.not.match(stored, token.slice(3));
  assert.ok(tokenRecordSchema.safeParse(JSON.parse(stored)).success);
});

test("two tokens never collide", async () => {
  const a = await createToken("a", "viewer");
  const b = await createToken("a", "viewer");
  assert.is.not(a.token, b.token);
  assert.is.not(a.record.hash, b.record.hash);
});

test("verify accepts each token with its own name and role", async () => {
  const op = await createToken("alice", "operator");
  const view = await createToken("victor", "viewer");
  const verifier = createTokenVerifier([op.record, view.record]);
  assert.equal(await verifier.verify(op.token), { name: "alice", role: "operator" });
  assert.equal(await verifier.verify(view.token), { name: "victor", role: "viewer" });
});

test("verify rejects near misses, other strings and the stored hash itself", async () => {
  const { token, record } = await createToken("alice", "operator");
  const verifier = createTokenVerifier([record]);
  const last = token.at(-1) === "A" ? "B" : "A";
  for (const attempt of [
    token.slice(0, -1) + last,
    token.slice(0, -1),
    `${token}A`,
    token.toUpperCase(),
    token.slice(3),
    record.hash,
    "",
    `cv_${"x".repeat(10_000)}`,
  ]) {
    assert.is(await verifier.verify(attempt), null, attempt.slice(0, 60));
  }
});

test("createToken refuses names that cannot be an actor and unknown roles", async () => {
  for (const name of ["", "a\nb", "-x", "x".repeat(65), "a b"]) {
    try {
      await createToken(name, "viewer");
      assert.unreachable(`accepted ${JSON.stringify(name)}`);
    } catch (err) {
      assert.is((err as { code?: string }).code, "BAD_USAGE");
    }
  }
  try {
    await createToken("a", "admin" as "viewer");
    assert.unreachable("accepted role admin");
  } catch (err) {
    assert.is((err as { code?: string }).code, "BAD_USAGE");
  }
});

test.run();
