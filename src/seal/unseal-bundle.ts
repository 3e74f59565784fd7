import { armor, Decrypter } from "age-encryption";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { checkBundle, type SecretBundle } from "./secret-bundle.ts";

const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
// age-encryption 0.3.x throws plain Errors; this one means "none of the given identities
// could unwrap the file key". Every other failure is a parse or authentication failure.
const NO_MATCH = "no identity matched";

/**
 * Opens a sealed bundle (binary age, or ASCII-armored as `age -a` writes it) with any of the
 * given age identities ("AGE-SECRET-KEY-1…").
 *
 * - WRONG_KEY: no identity unwraps the file key. age cannot tell a wrong key from a recipient
 *   stanza altered in transit, so both land here.
 * - SEAL_TAMPERED: the header does not parse, its HMAC fails, the payload fails authentication
 *   or was truncated or extended. No plaintext is ever returned in these cases.
 */
export async function unsealBundle(bytes: Uint8Array, identities: readonly string[]): Promise<SecretBundle> {
  if (!(bytes instanceof Uint8Array)) {
    throw new ConfvaultError("BAD_INPUT", "the sealed bundle must be bytes", "pass a Uint8Array");
  }
  if (!Array.isArray(identities) || identities.length === 0) {
    throw new ConfvaultError(
      "KEY_MISSING",
      "no identity to open the sealed bundle with",
      "set CONFVAULT_ACTIVATION_KEY or pass --key-file FILE",
      { operation: "unsealBundle" },
    );
  }
  const decrypter = new Decrypter();
  identities.forEach((identity, index) => {
    try {
      if (typeof identity !== "string" || !identity.startsWith("AGE-SECRET-KEY-"))
        throw new Error("not an identity");
      decrypter.addIdentity(identity);
    } catch (err) {
      throw new ConfvaultError(
        "BAD_INPUT",
        `identity #${index + 1} is not an age identity`,
        "an age identity starts with AGE-SECRET-KEY-1 (`confvault keys identity` prints the node's own)",
        { index },
        err,
      );
    }
  });

  let plaintext: Uint8Array;
  try {
    plaintext = await decrypter.decrypt(dearmor(bytes));
  } catch (err) {
    throw classify(err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch (err) {
    throw new ConfvaultError(
      "BAD_INPUT",
      "the sealed file opened but does not hold a confvault secret bundle (not UTF-8 JSON)",
      "this file was encrypted to the right key but not written by confvault",
      {},
      err,
    );
  } finally {
    plaintext.fill(0);
  }
  return checkBundle(parsed, "BAD_INPUT");
}

function dearmor(bytes: Uint8Array): Uint8Array {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 64)).trimStart();
  if (!head.startsWith(ARMOR_BEGIN)) return bytes;
  try {
    return armor.decode(new TextDecoder("latin1").decode(bytes));
  } catch (err) {
    throw tampered("its ASCII armor is malformed", err);
  }
}

function classify(err: unknown): ConfvaultError {
  if (err instanceof ConfvaultError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes(NO_MATCH)) {
    return new ConfvaultError(
      "WRONG_KEY",
      "the activation key does not open this bundle",
      "use the activation key (and cluster name) the bundle was sealed with, or an escrow identity; " +
        "if the key is surely right, the bundle's header may be damaged: run `confvault verify` or fetch it from a remote",
      { operation: "unsealBundle" },
    );
  }
  return tampered(describe(message), err);
}

function describe(message: string): string {
  if (/stream ended|too small|size is invalid|final chunk/i.test(message))
    return "it is truncated or its length is wrong";
  if (/HMAC/i.test(message)) return "its header authentication failed";
  if (/invalid (version|header|stanza|X25519|non-ASCII)|base64|bech32|invalid/i.test(message)) {
    return "its header is malformed";
  }
  return "its content failed authentication";
}

function tampered(what: string, cause: unknown): ConfvaultError {
  return new ConfvaultError(
    "SEAL_TAMPERED",
    `the sealed bundle was modified or damaged: ${what}`,
    "do not use this copy: restore secrets.sealed.age from a remote or an older restore point, then `confvault verify`",
    { operation: "unsealBundle" },
    cause,
  );
}
