import { hashToken } from "../server/tokens.ts";
import { constantTimeEqual, createMutex, readJson, writeJson } from "./json-state.ts";

/** What the master knows about one slave. */
export interface NodeRecord {
  name: string;
  url: string;
  /** The slave's age recipient: its releases' bundles are sealed to it alone. */
  recipient: string;
  /** SHA-256 of the node token (the token itself is only ever on the slave). */
  tokenHash: string;
  joinedAt: string;
  /** The master release the slave last applied. */
  applied?: { commit: string; sequence: number; tag: string; localCommit?: string; at: string };
  lastResult?: {
    commit: string;
    sequence: number;
    ok: boolean;
    skipped?: boolean;
    error?: string;
    code?: string;
    at: string;
  };
  lastContact?: string;
  /** From the last push or poll. */
  reachable?: boolean;
  lastError?: string;
  /** The slave's live config differs from its last restore point (reported in acks and polls). */
  drift?: boolean;
}

/**
 * The master's joined nodes, owned by the serve process: kept in memory, written behind (at
 * most every `flushMs`) so a fleet of acks does not mean a file write each. `join` writes at once.
 */
export function createNodeRegistry(file: string, options: { flushMs?: number } = {}) {
  const exclusive = createMutex();
  let nodes: NodeRecord[] | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flushMs = options.flushMs ?? 100;

  const load = async () => {
    nodes ??= await readJson<NodeRecord[]>(file, []);
    return nodes;
  };
  const flush = () =>
    exclusive(async () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (nodes) await writeJson(file, nodes);
    });
  const scheduleFlush = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushMs);
  };

  return {
    load,
    list: async () => [...(await load())],
    async get(name: string) {
      return (await load()).find((n) => n.name === name);
    },
    /** The node a token belongs to, compared in constant time against every record. */
    async byToken(token: string): Promise<NodeRecord | undefined> {
      const hash = await hashToken(token);
      let found: NodeRecord | undefined;
      for (const n of await load()) if (constantTimeEqual(hash, n.tokenHash) && !found) found = n;
      return found;
    },
    /** Adds a node, or replaces one of the same name (a slave that joins again). */
    async join(record: NodeRecord): Promise<void> {
      const all = await load();
      const at = all.findIndex((n) => n.name === record.name);
      if (at >= 0) all[at] = record;
      else all.push(record);
      await flush();
    },
    async update(name: string, patch: Partial<NodeRecord>): Promise<void> {
      const n = (await load()).find((x) => x.name === name);
      if (!n) return;
      Object.assign(n, patch);
      scheduleFlush();
    },
    flush,
  };
}

export type NodeRegistry = ReturnType<typeof createNodeRegistry>;
