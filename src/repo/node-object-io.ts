import { createHash } from "node:crypto";
import { deflate } from "node:zlib";
import type { ObjectIo } from "./object-io.ts";

/**
 * Node's SHA-1 (OpenSSL) and zlib at level 1: git reads any level, and level 1 is ~3× faster
 * than the default while loose objects are short-lived anyway (maintenance repacks them).
 * `deflate` runs on the libuv thread pool, so several blobs compress in parallel.
 */
export function createNodeObjectIo(level = 1): ObjectIo {
  return {
    sha1(parts) {
      const hash = createHash("sha1");
      for (const part of parts) hash.update(part);
      return hash.digest("hex");
    },
    deflate(parts) {
      const input = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      return new Promise((resolve, reject) => {
        deflate(input, { level }, (err, out) => (err ? reject(err) : resolve(out)));
      });
    },
  };
}
