import type { SecretBundle } from "./secret-bundle.ts";

/**
 * Opened sealed bundles by git blob id, in memory only (never written anywhere), so repeated
 * reads in one process (a server's show/diff/verify, a restore after its checks) unseal once.
 * Entries are keyed by blob id and the identity that opened them: another identity still has
 * to prove it can open the bytes. Callers get a copy; the cache's own copy is never handed out.
 */
export interface BundleCache {
  open(sealed: Uint8Array, identity: string, unseal: () => Promise<SecretBundle>): Promise<SecretBundle>;
  /** Drops every entry (after a key rotation, on shutdown). */
  clear(): void;
  readonly size: number;
}

export function createBundleCache(maxEntries = 32): BundleCache {
  const entries = new Map<string, Promise<SecretBundle>>();
  return {
    async open(sealed, identity, unseal) {
      const key = `${await blobId(sealed)}\0${identity}`;
      let hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      } else {
        hit = unseal().then((bundle) => structuredClone(bundle));
        entries.set(key, hit);
        hit.catch(() => entries.delete(key));
        while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      }
      return structuredClone(await hit);
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/** The git blob id of `bytes` (SHA-1 of "blob <length>\0" + bytes), through Web Crypto. */
export async function blobId(bytes: Uint8Array): Promise<string> {
  const header = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(header.length + bytes.length);
  all.set(header, 0);
  all.set(bytes, header.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
