import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import { writeFileAtomic } from "../home/atomic-write.ts";
import type { HomeContext } from "../home/context.ts";
import { readRecipients } from "../home/recipients-file.ts";
import { validateRecipients } from "../seal/recipients.ts";

export interface RecipientList {
  own: string;
  escrow: string[];
}

/** The node's own age recipient and the escrow recipients every bundle is also sealed to. */
export async function listRecipients({ ctx }: { ctx: HomeContext }): Promise<RecipientList> {
  try {
    const keys = await ctx.keys();
    return { own: keys.recipient, escrow: await readRecipients(ctx.layout.recipients) };
  } catch (err) {
    throw inOperation("keys recipients", err);
  }
}

async function save(ctx: HomeContext, list: string[]): Promise<void> {
  const text = `# escrow recipients: every sealed bundle is also encrypted to these age public keys\n${list.join("\n")}\n`;
  await writeFileAtomic(ctx.layout.recipients, new TextEncoder().encode(text), { mode: 0o644 });
}

/** Adds an escrow recipient; bundles sealed from the next change on open with its identity too. */
export async function addRecipient({
  ctx,
  recipient,
}: {
  ctx: HomeContext;
  recipient: string;
}): Promise<RecipientList> {
  try {
    const [r] = validateRecipients([recipient]);
    const current = await readRecipients(ctx.layout.recipients);
    if (!current.includes(r)) await save(ctx, [...current, r]);
    return await listRecipients({ ctx });
  } catch (err) {
    throw inOperation("keys add", err);
  }
}

export async function removeRecipient({
  ctx,
  recipient,
}: {
  ctx: HomeContext;
  recipient: string;
}): Promise<RecipientList> {
  try {
    const current = await readRecipients(ctx.layout.recipients);
    if (!current.includes(recipient.trim())) {
      throw new ConfvaultError(
        "NOT_FOUND",
        "that recipient is not an escrow recipient of this home",
        "`confvault keys recipients` lists them",
      );
    }
    await save(
      ctx,
      current.filter((r) => r !== recipient.trim()),
    );
    return await listRecipients({ ctx });
  } catch (err) {
    throw inOperation("keys remove", err);
  }
}
