import { z } from "zod";
import type { Role } from "../api/types.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";

/** What is stored for a token: never the token itself, only its SHA-256. */
export interface TokenRecord {
  name: string;
  role: Role;
  /** Lower-case hex SHA-256 of the whole token string (`cv_…`). */
  hash: string;
  /** ISO-8601 UTC creation time. */
  created: string;
}

/** Who a valid token belongs to; `name` becomes the actor of changes made with it. */
export interface TokenIdentity {
  name: string;
  role: Role;
}

export interface TokenVerifier {
  verify(token: string): Promise<TokenIdentity | null>;
}

/** Schema for records read back from storage (the caller persists them). */
export const tokenRecordSchema = z.object({
  name: z.string().min(1),
  role: z.enum(["viewer", "operator"]),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  created: z.string(),
});

const TOKEN_PREFIX = "cv_";
const MAX_TOKEN_LENGTH = 256;
// Names end up in commit trailers (Confvault-Actor): one line, no control characters.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new random token (shown once to the user) and the record to store for it. */
export async function createToken(
  name: string,
  role: Role,
  now: Date = new Date(),
): Promise<{ token: string; record: TokenRecord }> {
  if (!NAME_PATTERN.test(name)) {
    throw new ConfvaultError(
      "BAD_USAGE",
      `Token name ${JSON.stringify(name)} is not allowed`,
      "Use 1-64 characters: letters, digits and . _ @ + - (starting with a letter or digit).",
      { name },
    );
  }
  if (role !== "viewer" && role !== "operator") {
    throw new ConfvaultError("BAD_USAGE", `Unknown role ${JSON.stringify(role)}`, "Use viewer or operator.");
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = TOKEN_PREFIX + base64url(bytes);
  return { token, record: { name, role, hash: await hashToken(token), created: now.toISOString() } };
}

export function createTokenVerifier(records: readonly TokenRecord[]): TokenVerifier {
  const stored = records.map((r) => ({ name: r.name, role: r.role, hash: r.hash.toLowerCase() }));
  return {
    async verify(token) {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > MAX_TOKEN_LENGTH) return null;
      const hash = await hashToken(token);
      let found: TokenIdentity | null = null;
      // Compare against every record without an early exit, each in constant time.
      for (const record of stored) {
        if (constantTimeEqual(hash, record.hash) && found === null)
          found = { name: record.name, role: record.role };
      }
      return found;
    },
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
