import { Encrypter } from "age-encryption";
import { ConfvaultError } from "../errors/confvault-error.ts";

/**
 * Checks age recipients (escrow keys and the node's own recipient) with age-encryption's own
 * parser and returns them trimmed and de-duplicated, in the order given. Accepts what the
 * `age` tool calls native recipients: X25519 (`age1…`) and, for newer age versions, the
 * post-quantum hybrid (`age1pq1…`) and tag recipients. Refuses anything else with BAD_INPUT.
 */
export function validateRecipients(recipients: readonly string[]): string[] {
  if (!Array.isArray(recipients)) {
    throw new ConfvaultError("BAD_INPUT", "recipients must be a list of age public keys", 'pass ["age1…"]');
  }
  const seen = new Set<string>();
  const out: string[] = [];
  recipients.forEach((value, index) => {
    const r = typeof value === "string" ? value.trim() : "";
    if (!r.startsWith("age1")) throw refuse(value, index, hintFor(r));
    try {
      new Encrypter().addRecipient(r);
    } catch (err) {
      throw refuse(
        value,
        index,
        "check for a typo or a truncated copy: age recipients are Bech32 and checksummed",
        err,
      );
    }
    if (!seen.has(r)) {
      seen.add(r);
      out.push(r);
    }
  });
  return out;
}

function hintFor(r: string): string {
  if (r.startsWith("AGE-SECRET-KEY-")) {
    return "that is a secret identity, never share it: give its public key (`age-keygen -y FILE` prints it)";
  }
  if (r.startsWith("ssh-")) return "SSH keys are not supported as escrow keys: create one with `age-keygen`";
  return "an escrow key is an age public key starting with age1… (`age-keygen -o key.txt` prints one)";
}

function refuse(value: unknown, index: number, hint: string, cause?: unknown): ConfvaultError {
  // Never echo what was given: a pasted secret identity must not end up in logs.
  const kind =
    typeof value === "string" && value.trim().startsWith("AGE-SECRET-KEY-")
      ? "a secret identity"
      : "not an age recipient";
  return new ConfvaultError("BAD_INPUT", `recipient #${index + 1} is ${kind}`, hint, { index }, cause);
}
