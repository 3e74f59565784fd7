/** Result shapes of the public operations (shared by the CLI and the HTTP layer). */

import type { ApplyResult, RestoreResult } from "../core/change-results.ts";
import type { PointInForce } from "../core/point-at.ts";
import type { DeletedPoint } from "./undelete.ts";

export interface RestorePoint {
  tag: string;
  commit: string;
  /** ISO-8601 UTC time of the tag. */
  time: string;
  actor: string;
  reason: string;
  source: string;
}

export type { ApplyResult, RestoreResult } from "../core/change-results.ts";
export type { PointInForce } from "../core/point-at.ts";
export type { DeletedPoint } from "./undelete.ts";

export interface DiffResult {
  from: string;
  to: string;
  entries: Array<{ kind: string; path: string; old?: string; new?: string; from?: number; to?: number }>;
  text: string;
  unified?: string;
}

export type Role = "viewer" | "operator";

/** The operations the HTTP server needs, bound to one home at start-up. */
export interface Operations {
  /** The home's folder; the server scrubs it (as `<home>`) from what it answers. */
  readonly home?: string;
  apply(options: {
    config: Uint8Array;
    cert?: Uint8Array;
    key?: Uint8Array;
    reason: string;
    tag?: string;
    actor: string;
    dryRun?: boolean;
  }): Promise<ApplyResult>;
  listRestorePoints(options?: { limit?: number }): Promise<RestorePoint[]>;
  showFile(options: { ref: string; file: string }): Promise<Uint8Array>;
  diff(options: {
    from: string;
    to?: string;
    unified?: boolean;
    showVolatile?: boolean;
  }): Promise<DiffResult>;
  restore(options: {
    ref: string;
    reason: string;
    actor: string;
    dryRun?: boolean;
    sections?: string[];
    missing?: "refuse" | "add" | "skip" | "remove";
    certificate?: boolean;
    record?: boolean;
  }): Promise<RestoreResult>;
  /**
   * The restore point in force at a time (ISO 8601 with a zone, a date, `@unix-seconds`);
   * REF_NOT_FOUND before the first one. Optional: a server without it answers NOT_FOUND.
   */
  pointAt?(options: { time: string }): Promise<PointInForce>;
  /** Restore points prune moved to the trash, newest deletion first. */
  listDeleted?(): Promise<DeletedPoint[]>;
  /** Brings a restore point back from the trash under its old name. */
  undelete?(options: { tag: string; actor: string }): Promise<DeletedPoint>;
  status(): Promise<Record<string, unknown>>;
  /** Readiness: the home is usable (repository readable, settings valid). */
  ready(): Promise<{ ok: boolean; detail?: string }>;
}
