import { scrypt } from "node:crypto";
import type { Scrypt } from "./scrypt-adapter.ts";

/** Scrypt over `node:crypto` (OpenSSL, on the libuv thread pool). */
export const nodeScrypt: Scrypt = (password, salt, { N, r, p, dkLen }) =>
  new Promise((resolve, reject) => {
    // OpenSSL refuses anything needing more than maxmem: 128·N·r·p bytes plus a little.
    const maxmem = 128 * N * r * p + 16 * 1024 * 1024;
    scrypt(password, salt, dkLen, { N, r, p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
