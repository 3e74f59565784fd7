import fs, { promises as fsp } from "node:fs";
import path from "node:path";
import { createGitCli } from "../repo/git-cli.ts";
import { ensureSigningConfig } from "../repo/init-bare.ts";
import { parseSshPublicKey } from "../seal/signing-key.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import type { HomeLayout } from "./layout.ts";

/**
 * `<home>/allowed_signers`: git's `gpg.ssh.allowedSignersFile` for this home's repository, one
 * `principal namespaces="git" ssh-ed25519 AAAA…` line per signing key this node has used. Lines
 * are only ever added: after `keys rotate` the old key's line stays, so restore points signed
 * before the rotation still verify.
 */
export const ALLOWED_SIGNERS = "allowed_signers";

export function allowedSignersPath(homeDir: string): string {
  return path.join(homeDir, ALLOWED_SIGNERS);
}

export function allowedSignerLine(principal: string, sshPublicKey: string): string {
  return `${principal} namespaces="git" ${sshPublicKey.trim().split(/\s+/).slice(0, 2).join(" ")}`;
}

export interface AllowedSigner {
  line: string;
  principals: string;
  /** Raw 32-byte Ed25519 key. */
  publicKey: Uint8Array;
}

/** The Ed25519 lines of an allowed-signers file (missing file: none; comments and other key types skipped). */
export async function readAllowedSigners(file: string): Promise<AllowedSigner[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return [];
    throw err;
  }
  const out: AllowedSigner[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const at = line.indexOf("ssh-ed25519 ");
    const publicKey = at === -1 ? null : parseSshPublicKey(line.slice(at));
    if (publicKey) out.push({ line, principals: line.split(/\s+/)[0]!, publicKey });
  }
  return out;
}

/** Adds the line for (principal, key) when the file lacks it; returns every line and whether one was added. */
export async function addAllowedSigner(
  file: string,
  principal: string,
  sshPublicKey: string,
): Promise<{ lines: string[]; added: boolean }> {
  const line = allowedSignerLine(principal, sshPublicKey);
  const existing = await readAllowedSigners(file);
  const lines = existing.map((s) => s.line);
  if (lines.includes(line)) return { lines, added: false };
  let before = "";
  try {
    before = await fsp.readFile(file, "utf8");
  } catch {
    // first line
  }
  const sep = before === "" || before.endsWith("\n") ? "" : "\n";
  await writeFileAtomic(file, new TextEncoder().encode(`${before}${sep}${line}\n`), { mode: 0o644 });
  return { lines: [...lines, line], added: true };
}

/**
 * Makes a signing key checkable by the plain git CLI: its line in `<home>/allowed_signers`
 * and the repository's `gpg.format=ssh` / `gpg.ssh.allowedSignersFile` settings. Idempotent
 * and cheap (two small reads when nothing changed): run on every signed change.
 */
export async function publishSigner(
  layout: HomeLayout,
  principal: string,
  sshPublicKey: string,
): Promise<{ file: string; lines: string[] }> {
  const file = allowedSignersPath(layout.dir);
  const { lines } = await addAllowedSigner(file, principal, sshPublicKey);
  await ensureSigningConfig(fs, createGitCli({ gitdir: layout.gitdir }), file);
  return { file, lines };
}
