import { generateIdentity, identityToRecipient } from "age-encryption";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { isConfvaultError } from "../../src/errors/confvault-error.ts";
import { validateRecipients } from "../../src/seal/recipients.ts";

test("valid age recipients pass, trimmed and de-duplicated in order", async () => {
  const a = await identityToRecipient(await generateIdentity());
  const b = await identityToRecipient(await generateIdentity());
  assert.equal(validateRecipients([` ${a}\n`, b, a]), [a, b]);
  assert.equal(validateRecipients([]), []);
});

test("garbage, secret identities, SSH keys and corrupted recipients are BAD_INPUT without echoing them", async () => {
  const identity = await generateIdentity();
  const good = await identityToRecipient(identity);
  const corrupted = good.slice(0, -1) + (good.endsWith("q") ? "p" : "q");
  for (const bad of [
    "",
    "hello",
    identity,
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI",
    corrupted,
    good.slice(0, 30),
    42,
  ]) {
    try {
      validateRecipients([good, bad as string]);
      assert.unreachable(`accepted ${String(bad)}`);
    } catch (err) {
      assert.ok(isConfvaultError(err, "BAD_INPUT"), String(err));
      const e = err as Error & { hint: string; data: unknown };
      assert.match(e.message, /recipient #2/);
      if (typeof bad === "string" && bad.length > 5)
        assert.not.ok(JSON.stringify([e.message, e.hint, e.data]).includes(bad));
    }
  }
});

test("a pasted secret identity gets a hint to give its public key instead", async () => {
  try {
    validateRecipients([await generateIdentity()]);
    assert.unreachable();
  } catch (err) {
    assert.match((err as { hint: string }).hint, /age-keygen -y/);
  }
});

test.run();
