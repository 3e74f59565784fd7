import { base64 } from "@scure/base";
import { z } from "zod";
import { parseTrailers } from "../core/commit-message.ts";
import { type Manifest, sha256Hex } from "../core/manifest.ts";
import { readSnapshot } from "../core/read-snapshot.ts";
import { ConfvaultError } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { sealBundle } from "../seal/seal-bundle.ts";
import type { SecretBundle } from "../seal/secret-bundle.ts";
import { unsealBundle } from "../seal/unseal-bundle.ts";
import {
  headSignedBytes,
  manifestSha256,
  releaseSignedBytes,
  type SignatureField,
  signBytes,
} from "./release-signature.ts";

/** What a slave fetches: one master commit, its config with markers, its bundle sealed to that slave only. */
export interface Release {
  cluster: string;
  commit: string;
  sequence: number;
  tag: string;
  reason: string;
  actor: string;
  manifest: Manifest;
  /** base64 of the committed config.xml (secret markers in place). */
  config: string;
  /** base64 of the bundle re-sealed to the requesting slave's recipient. */
  bundle: string;
  /** The age recipient `bundle` is sealed to (signed: a slave refuses another slave's release). */
  recipient: string;
  /** The master's Ed25519 signature over release-signature.ts's releaseSignedBytes. */
  signature: SignatureField;
}

export interface ReleaseHead {
  commit: string;
  sequence: number;
  tag: string;
}

/** A head as the master answers `GET /api/v1/releases/latest`: signed over cluster, commit, sequence, tag. */
export interface SignedReleaseHead extends ReleaseHead {
  cluster: string;
  signature: SignatureField;
}

const signatureSchema = z.object({ key: z.string().max(2000), sig: z.string().max(200) });

export const signedHeadSchema = z.object({
  cluster: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  sequence: z.number().int().min(1),
  tag: z.string(),
  signature: signatureSchema.optional(),
});

export const releaseSchema = z.object({
  cluster: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  sequence: z.number().int().min(1),
  tag: z.string(),
  reason: z.string(),
  actor: z.string(),
  manifest: z.looseObject({
    format: z.literal(1),
    sequence: z.number(),
    config: z.looseObject({ sha256: z.string() }),
  }),
  config: z.string(),
  bundle: z.string(),
  recipient: z.string().max(2000).optional(),
  signature: signatureSchema.optional(),
});

interface Opened {
  head: ReleaseHead;
  reason: string;
  actor: string;
  manifest: Manifest;
  committedConfig: Uint8Array;
  bundle: SecretBundle;
  configSha256: string;
  manifestSha256: string;
}

/**
 * Builds releases on the master. One commit is read, checked against its manifest and unsealed
 * once (cached); the bundle is then sealed again for each slave's recipient, so every slave can
 * open only its own copy and no plaintext secret crosses the wire.
 */
export function createReleaseSource(ctx: HomeContext) {
  const opened = new Map<string, Promise<Opened>>();
  const sealed = new Map<string, Promise<string>>();

  const open = (commit: string): Promise<Opened> => {
    let p = opened.get(commit);
    if (!p) {
      p = (async () => {
        const snap = await readSnapshot(ctx, commit);
        const keys = await ctx.keys();
        const bundle = await unsealBundle(snap.sealed, [keys.identity]);
        const tag = (await ctx.engine.listTags("rp/")).find((t) => t.commit === commit);
        const message = tag?.message ?? (await ctx.engine.readCommit(commit)).message;
        const { trailers, subject } = parseTrailers(message);
        return {
          head: { commit, sequence: snap.manifest.sequence, tag: tag?.name ?? "" },
          reason: trailers["Confvault-Reason"] ?? subject,
          actor: trailers["Confvault-Actor"] ?? "",
          manifest: snap.manifest,
          committedConfig: snap.committedConfig,
          bundle,
          configSha256: await sha256Hex(snap.committedConfig),
          manifestSha256: await manifestSha256(snap.manifest),
        };
      })();
      p.catch(() => opened.delete(commit));
      opened.set(commit, p);
      // Keep the few newest: rollouts only ever ask for recent commits.
      if (opened.size > 8) opened.delete(opened.keys().next().value as string);
    }
    return p;
  };

  return {
    /** Head (commit, sequence, tag) of a commit on main. */
    async head(commit: string): Promise<ReleaseHead> {
      return (await open(commit)).head;
    },
    async build(ref: string, recipient: string): Promise<Release> {
      if (!/^[0-9a-f]{40}$/.test(ref)) {
        throw new ConfvaultError(
          "BAD_USAGE",
          `a release is addressed by its full commit id, got "${ref}"`,
          "use the commit from the webhook or from /api/v1/releases/latest",
        );
      }
      const o = await open(ref);
      const key = `${ref}:${recipient}`;
      let bundle = sealed.get(key);
      if (!bundle) {
        bundle = sealBundle(o.bundle, [recipient]).then((b) => base64.encode(b));
        bundle.catch(() => sealed.delete(key));
        sealed.set(key, bundle);
        if (sealed.size > 4096) sealed.delete(sealed.keys().next().value as string);
      }
      const sealedB64 = await bundle;
      const signed = await releaseSignedBytes({
        cluster: ctx.settings.cluster,
        commit: ref,
        sequence: o.head.sequence,
        tag: o.head.tag,
        recipient,
        reason: o.reason,
        actor: o.actor,
        manifest: o.manifest,
        config: o.committedConfig,
        bundle: base64.decode(sealedB64),
        configSha256: o.configSha256,
        manifestSha256: o.manifestSha256,
      });
      return {
        cluster: ctx.settings.cluster,
        commit: ref,
        sequence: o.head.sequence,
        tag: o.head.tag,
        reason: o.reason,
        actor: o.actor,
        manifest: o.manifest,
        config: base64.encode(o.committedConfig),
        bundle: sealedB64,
        recipient,
        signature: await signBytes((await ctx.keys()).signer, signed),
      };
    },
    /** Signs a head for `GET /api/v1/releases/latest`. */
    async signHead(head: ReleaseHead): Promise<SignedReleaseHead> {
      const h = {
        cluster: ctx.settings.cluster,
        commit: head.commit,
        sequence: head.sequence,
        tag: head.tag,
      };
      return { ...h, signature: await signBytes((await ctx.keys()).signer, headSignedBytes(h)) };
    },
  };
}

export type ReleaseSource = ReturnType<typeof createReleaseSource>;
