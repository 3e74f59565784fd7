/**
 * The runtime-specific primitives the object writer needs. Node's implementation lives in
 * node-object-io.ts; another runtime supplies its own (Deno can reuse node:crypto/node:zlib).
 */
export interface ObjectIo {
  /** Lower-case hex SHA-1 of the concatenation of `parts`. */
  sha1(parts: Uint8Array[]): string;
  /** zlib-wrapped (RFC 1950) deflate of the concatenation of `parts`, at a fast level. */
  deflate(parts: Uint8Array[]): Promise<Uint8Array>;
}
