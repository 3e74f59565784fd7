import type { Profile } from "../profiles/profile.ts";
import type { RepoEngine } from "../repo/engine.ts";
import type { BundleCache } from "../seal/bundle-cache.ts";
import type { Signer } from "../seal/signing-key.ts";
import type { Settings } from "../settings/schema.ts";
import type { HomeLayout } from "./layout.ts";

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SealKeys {
  identity: string;
  recipient: string;
  markerKey: Uint8Array;
  /** Own recipient plus escrow recipients. */
  recipients: string[];
  /** The node's Ed25519 signing key, derived from the activation key (signs releases and restore points). */
  signer: Signer;
}

/** Everything an operation needs about one home, built once at start-up and passed in. */
export interface HomeContext {
  layout: HomeLayout;
  settings: Settings;
  profile: Profile;
  engine: RepoEngine;
  logger: Logger;
  /** Derives (once) the sealing keys from the activation key. */
  keys(): Promise<SealKeys>;
  now(): Date;
  /** Absolute path of a live file on this machine (under the live root). */
  live(kind: "config" | "cert" | "key"): string | undefined;
  /** Opened sealed bundles of this process, in memory (seal/bundle-cache.ts); absent: none. */
  bundles?: BundleCache;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
