/** What a push needs from a remote, whichever program talks to it. */
export interface RemoteRefs {
  /** Tip of the remote's main, or null when it has none. */
  main: string | null;
  /** Restore-point tags on the remote: "rp/…" → oid of the tag object. */
  tags: Map<string, string>;
}

export interface PushProgress {
  remote: string;
  phase: string;
  done: number;
  total: number;
}

export interface PushTransport {
  readonly name: "git" | "isomorphic-git";
  listRefs(): Promise<RemoteRefs>;
  /** True when `ancestor` is known locally and reachable from `descendant`. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Pushes main (when asked) and the given tags; never forces. */
  push(
    plan: { main: string | null; tags: string[] },
    onProgress?: (p: Omit<PushProgress, "remote">) => void,
  ): Promise<void>;
}
