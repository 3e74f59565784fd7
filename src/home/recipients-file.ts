import { promises as fsp } from "node:fs";

/** Escrow recipients (age public keys), one per line; `#` starts a comment. */
export async function readRecipients(file: string): Promise<string[]> {
  let text = "";
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim())
    .filter((line) => line.length > 0);
}
