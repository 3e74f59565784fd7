import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";

/** Puts config.xml (and the certificate and key, when given) onto the live paths, each atomically. */
export async function writeLive(
  ctx: HomeContext,
  files: { config: Uint8Array; cert?: string; key?: string },
): Promise<string[]> {
  const written: string[] = [];
  const enc = new TextEncoder();
  const keyPath = ctx.live("key");
  const certPath = ctx.live("cert");
  if (files.key !== undefined && keyPath) {
    await writeFileAtomic(keyPath, enc.encode(files.key), { mode: 0o600 });
    written.push(keyPath);
  }
  if (files.cert !== undefined && certPath) {
    await writeFileAtomic(certPath, enc.encode(files.cert), { mode: 0o644 });
    written.push(certPath);
  }
  const configPath = ctx.live("config")!;
  await writeFileAtomic(configPath, files.config, { mode: 0o644 });
  written.push(configPath);
  return written;
}
