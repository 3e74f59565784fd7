/** A byte-bounded LRU of file contents keyed by commit oid and path (git objects are immutable). */
export function createFileCache(maxBytes: number) {
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  return {
    get(commit: string, path: string): Uint8Array | undefined {
      const key = `${commit}:${path}`;
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
      }
      return hit;
    },
    set(commit: string, path: string, bytes: Uint8Array): void {
      if (bytes.length > maxBytes / 4) return;
      const key = `${commit}:${path}`;
      const old = entries.get(key);
      if (old) total -= old.length;
      entries.delete(key);
      entries.set(key, bytes);
      total += bytes.length;
      for (const [k, v] of entries) {
        if (total <= maxBytes) break;
        entries.delete(k);
        total -= v.length;
      }
    },
  };
}
