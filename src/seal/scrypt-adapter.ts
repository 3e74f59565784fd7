import { scryptAsync } from "@noble/hashes/scrypt.js";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  dkLen: number;
}

/** scrypt (RFC 7914): the same bytes whichever implementation computes them. */
export type Scrypt = (password: Uint8Array, salt: Uint8Array, params: ScryptParams) => Promise<Uint8Array>;

/**
 * Pure-JS scrypt from @noble/hashes: runs on every runtime (Deno, browsers), on the main
 * thread, yielding every 50 ms. About 1.8× slower than OpenSSL's.
 */
export const nobleScrypt: Scrypt = (password, salt, params) =>
  scryptAsync(password, salt, { ...params, asyncTick: 50 });

/**
 * The fastest scrypt the runtime has: OpenSSL's through `node:crypto` on Node (off the main
 * thread, on libuv's pool), @noble/hashes elsewhere (Deno keeps the portable path).
 */
export async function pickScrypt(): Promise<Scrypt> {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: unknown } } };
  if (g.Deno === undefined && typeof g.process?.versions?.node === "string") {
    return (await import("./node-scrypt.ts")).nodeScrypt;
  }
  return nobleScrypt;
}
