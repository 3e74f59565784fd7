import { promises as fsp } from "node:fs";
import path from "node:path";
import { journalFile } from "../core/change-journal.ts";
import { landChange } from "../core/land-change.ts";
import { lockHome } from "../core/lock-home.ts";
import { KEYRING_FILE, prepareSnapshot } from "../core/prepare-snapshot.ts";
import { openSnapshot } from "../core/read-snapshot.ts";
import { requireReason } from "../core/require-reason.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import { loadActivationKey } from "../home/activation-key.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext, SealKeys } from "../home/context.ts";
import { readRecipients } from "../home/recipients-file.ts";
import { sealKeysFrom } from "../home/seal-keys.ts";
import { deriveIdentity } from "../seal/derive-identity.ts";
import { openKeyring, sealKeyring } from "../seal/keyring.ts";

export interface RotateKeysOptions {
  ctx: HomeContext;
  /** File holding the new activation key (mode 0600). */
  newKeyFile: string;
  actor: string;
  reason?: string;
}

export interface RotateKeysResult {
  commit?: string;
  tag?: string;
  recipient: string;
  previousIdentities: number;
  /** Where the new key is expected from now on. */
  keySource: string;
  warnings: string[];
}

/**
 * Switches the home to a new activation key. The current state is re-sealed to the new identity
 * in a new restore point that also carries the keyring (every earlier identity, sealed to the new
 * one), so every older restore point stays restorable with only the new key.
 */
export async function rotateKeys({
  ctx,
  newKeyFile,
  actor,
  reason,
}: RotateKeysOptions): Promise<RotateKeysResult> {
  const why = requireReason(reason ?? "activation key rotation", "keys rotate");
  const lock = await lockHome(ctx, "keys rotate");
  try {
    const oldKeys = await ctx.keys();
    const fresh = await loadActivationKey({
      keyFile: path.resolve(newKeyFile),
      homeKeyFile: ctx.layout.activationKey,
    });
    const derived = await deriveIdentity({ activationKey: fresh.value, cluster: ctx.settings.cluster });
    if (derived.identity === oldKeys.identity) {
      throw new ConfvaultError(
        "BAD_USAGE",
        "the new activation key is the same as the current one",
        "generate a new key first",
      );
    }
    const newKeys: SealKeys = await sealKeysFrom(derived, await readRecipients(ctx.layout.recipients));
    const tip = await ctx.engine.branchTip("main");
    let earlier: string[] = [];
    if (tip) {
      const has = await ctx.engine.listFiles(tip);
      if (has.includes(KEYRING_FILE))
        earlier = (await openKeyring(await ctx.engine.readFile(tip, KEYRING_FILE), [oldKeys.identity]))
          .identities;
    }
    const identities = [oldKeys.identity, ...earlier.filter((i) => i !== oldKeys.identity)];
    const keyring = await sealKeyring({ version: 1, identities }, newKeys.recipients);
    const result: RotateKeysResult = {
      recipient: derived.recipient,
      previousIdentities: identities.length,
      keySource: "",
      warnings: [],
    };
    const rotated: HomeContext = { ...ctx, keys: async () => newKeys };
    // Where the new key goes: the home's key file when the key came from there, else settings
    // keyFile points at the new file. It is installed after the journal and before the refs move,
    // so a kill is finished (the rotate commit landed) or undone (the old key put back).
    const key = await loadActivationKey({
      envValue: process.env.CONFVAULT_ACTIVATION_KEY,
      keyFile: ctx.settings.keyFile,
      homeKeyFile: ctx.layout.activationKey,
    }).catch(() => undefined);
    const enc = new TextEncoder();
    const install =
      key?.origin === "home"
        ? { file: ctx.layout.activationKey, bytes: enc.encode(`${fresh.value}\n`), mode: 0o600 }
        : {
            file: ctx.layout.settings,
            bytes: enc.encode(
              `${JSON.stringify({ ...ctx.settings, keyFile: path.resolve(newKeyFile) }, null, 2)}\n`,
            ),
            mode: 0o644,
          };
    const installKey = () => writeFileAtomic(install.file, install.bytes, { mode: install.mode });
    result.keySource = key?.origin === "home" ? ctx.layout.activationKey : path.resolve(newKeyFile);
    if (key?.origin === "env")
      result.warnings.push(
        "CONFVAULT_ACTIVATION_KEY still holds the old key: unset it or set it to the new key",
      );
    if (tip) {
      const snap = await openSnapshot(ctx, tip);
      const prepared = await prepareSnapshot(rotated, {
        config: snap.config,
        cert: snap.bundle.cert,
        key: snap.bundle.key,
        source: "rotate",
        keyring,
      });
      const made = await landChange(rotated, {
        operation: "keys rotate",
        prepared,
        subject: "rotate: new activation key",
        reason: why,
        actor,
        files: [await journalFile(install.file, install.mode)],
        install: installKey,
      });
      result.commit = made.commit;
      result.tag = made.tag;
    } else {
      await installKey();
    }
    await fsp.rm(ctx.layout.identityCache, { force: true });
    result.warnings.push(
      "keep a copy of the new activation key offline; the old one is no longer needed to restore",
    );
    return result;
  } catch (err) {
    throw inOperation("keys rotate", err);
  } finally {
    await lock.release();
  }
}
