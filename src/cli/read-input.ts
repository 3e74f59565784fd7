import { promises as fsp } from "node:fs";
import { ConfvaultError } from "../errors/confvault-error.ts";

/** Reads a file named on the command line ("-" is stdin) with a clear error when it is missing. */
export async function readInputFile(file: string, what: string): Promise<Uint8Array> {
  try {
    if (file === "-") {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    }
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfvaultError(
      "BAD_INPUT",
      `cannot read ${what} ${file}: ${code ?? (err as Error).message}`,
      "check the path and the file's permissions",
    );
  }
}

export async function readTextFile(file: string | undefined, what: string): Promise<string | undefined> {
  if (file === undefined) return undefined;
  return new TextDecoder().decode(await readInputFile(file, what));
}
