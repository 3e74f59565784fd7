import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";

export interface ActivationKeySource {
  /** Value of CONFVAULT_ACTIVATION_KEY, if set. */
  envValue?: string;
  /** --key-file or settings.keyFile. */
  keyFile?: string;
  /** The home's own activation.key (written by init when no key was given). */
  homeKeyFile: string;
}

export interface ActivationKey {
  value: string;
  origin: "env" | "key-file" | "home";
}

async function readKeyFile(file: string, origin: "key-file" | "home"): Promise<ActivationKey> {
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(file);
  } catch {
    throw new ConfvaultError(
      "KEY_MISSING",
      `activation key file ${file} does not exist`,
      "pass --key-file FILE or set CONFVAULT_ACTIVATION_KEY",
    );
  }
  if ((st.mode & 0o077) !== 0) {
    throw new ConfvaultError(
      "KEY_MISSING",
      `activation key file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)})`,
      `run: chmod 600 ${file}`,
    );
  }
  const value = (await fsp.readFile(file, "utf8")).trim();
  if (value.length < 16) {
    throw new ConfvaultError(
      "KEY_MISSING",
      `activation key in ${file} is too short (${value.length} characters)`,
      "an activation key has at least 16 characters",
    );
  }
  return { value, origin };
}

/** The activation key: environment first, then --key-file, then the home's own file. */
export async function loadActivationKey(source: ActivationKeySource): Promise<ActivationKey> {
  if (source.envValue !== undefined && source.envValue.trim() !== "") {
    const value = source.envValue.trim();
    if (value.length < 16) {
      throw new ConfvaultError(
        "KEY_MISSING",
        "CONFVAULT_ACTIVATION_KEY is too short",
        "an activation key has at least 16 characters",
      );
    }
    return { value, origin: "env" };
  }
  if (source.keyFile) return await readKeyFile(source.keyFile, "key-file");
  try {
    return await readKeyFile(source.homeKeyFile, "home");
  } catch (err) {
    if (err instanceof ConfvaultError) {
      throw new ConfvaultError(
        "KEY_MISSING",
        "no activation key: CONFVAULT_ACTIVATION_KEY is unset, no --key-file was given, and the home has none",
        "set CONFVAULT_ACTIVATION_KEY or pass --key-file FILE (mode 0600)",
      );
    }
    throw err;
  }
}

/** A new random activation key: 32 bytes, base32-like groups that are easy to copy by hand. */
export function generateActivationKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  let out = "";
  for (const b of bytes) out += alphabet[b & 31];
  for (const b of bytes.subarray(0, 12)) out += alphabet[b >> 3];
  return out.match(/.{4}/g)!.join("-");
}
