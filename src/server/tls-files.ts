import { createPrivateKey, X509Certificate } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeLayout } from "../home/layout.ts";

export interface TlsIdentity {
  certPem: string;
  keyPem: string;
  /** Lower-case hex SHA-256 over the certificate's DER (what join tokens carry and slaves pin). */
  fingerprint256: string;
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/** The pair `init --role master` makes: `<home>/tls/server.crt` and `server.key` (mode 0600). */
export function homeTlsFiles(layout: HomeLayout): TlsFiles & { dir: string } {
  const dir = path.join(layout.dir, "tls");
  return { dir, cert: path.join(dir, "server.crt"), key: path.join(dir, "server.key") };
}

/** Lower-case hex SHA-256 of a PEM certificate's DER. */
export function certificateFingerprint256(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/**
 * The TLS pair this home serves with: `files` when given, else settings.json `server.tls`
 * (paths relative to the home), else the home's own pair. null when that certificate file does
 * not exist (the node serves plain HTTP); TLS_INVALID when it exists but is unusable.
 */
export async function readTlsIdentity(layout: HomeLayout, files?: TlsFiles): Promise<TlsIdentity | null> {
  const chosen = files ?? (await settingsTlsFiles(layout)) ?? homeTlsFiles(layout);
  const certFile = path.resolve(layout.dir, chosen.cert);
  const keyFile = path.resolve(layout.dir, chosen.key);
  const certPem = await fsp.readFile(certFile, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT" && !files) return null;
    throw invalid(`cannot read the TLS certificate ${path.basename(certFile)}: ${err.code ?? err.message}`);
  });
  if (certPem === null) return null;
  const keyPem = await fsp.readFile(keyFile, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw invalid(`cannot read the TLS key ${path.basename(keyFile)}: ${err.code ?? err.message}`);
  });
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw invalid(`${path.basename(certFile)} is not a PEM certificate`);
  }
  let matches = false;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw invalid(`${path.basename(keyFile)} is not a PEM private key`);
  }
  if (!matches)
    throw invalid(`the TLS key ${path.basename(keyFile)} does not belong to ${path.basename(certFile)}`);
  return { certPem, keyPem, fingerprint256: certificateFingerprint256(certPem) };
}

/** Writes a pair as the home's own (`tls/`, key mode 0600); returns its identity. */
export async function writeHomeTlsIdentity(
  layout: HomeLayout,
  pair: { cert: string; key: string },
): Promise<TlsIdentity> {
  const files = homeTlsFiles(layout);
  await fsp.mkdir(files.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(files.key, new TextEncoder().encode(pair.key), { mode: 0o600 });
  await writeFileAtomic(files.cert, new TextEncoder().encode(pair.cert), { mode: 0o644 });
  return { certPem: pair.cert, keyPem: pair.key, fingerprint256: certificateFingerprint256(pair.cert) };
}

async function settingsTlsFiles(layout: HomeLayout): Promise<TlsFiles | undefined> {
  const text = await fsp.readFile(layout.settings, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const tls = (JSON.parse(text) as { server?: { tls?: Partial<TlsFiles> } }).server?.tls;
    return tls?.cert && tls.key ? { cert: tls.cert, key: tls.key } : undefined;
  } catch {
    return undefined;
  }
}

function invalid(message: string): ConfvaultError {
  return new ConfvaultError(
    "TLS_INVALID",
    message,
    "pass a PEM certificate and its private key (--tls-cert/--tls-key or settings server.tls), or remove them to serve the home's own pair",
  );
}
