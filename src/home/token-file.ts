import { promises as fsp } from "node:fs";
import { z } from "zod";
import { ConfvaultError } from "../errors/confvault-error.ts";
import { type TokenRecord, tokenRecordSchema } from "../server/tokens.ts";
import { writeFileAtomic } from "./atomic-write.ts";

/** tokens.json: hashed API tokens (mode 0600). The tokens themselves are shown once and never stored. */
export async function readTokenRecords(file: string): Promise<TokenRecord[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const parsed = z.array(tokenRecordSchema).safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `${file} is not a valid token list`,
      "remove it and create tokens again with `confvault token add`",
    );
  return parsed.data;
}

export async function writeTokenRecords(file: string, records: TokenRecord[]): Promise<void> {
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(records, null, 2)}\n`), {
    mode: 0o600,
  });
}
