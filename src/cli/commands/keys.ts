import type { Command } from "commander";
import { addRecipient, listRecipients, removeRecipient } from "../../api/keys-recipients.ts";
import { rotateKeys } from "../../api/rotate-keys.ts";
import { signerPrincipal } from "../../core/change-signer.ts";
import { publishSigner } from "../../home/allowed-signers.ts";
import type { CliRuntime } from "../runtime.ts";

export function registerKeys(program: Command, rt: CliRuntime): void {
  const keys = program
    .command("keys")
    .description("the sealing identity (derived from the activation key) and escrow recipients");

  keys
    .command("identity")
    .description("print the age identity (secret!) for emergency use with the standard age tool")
    .action(async (_o, cmd: Command) => {
      const k = await (await rt.open(cmd)).keys();
      if (!rt.globals(cmd).json)
        rt.err("warning: this is a secret key; anyone holding it can open every sealed bundle of this home");
      rt.print(cmd, { identity: k.identity, recipient: k.recipient }, k.identity);
    });

  keys
    .command("recipients")
    .description("list the node's own age recipient and the escrow recipients")
    .action(async (_o, cmd: Command) => {
      const r = await listRecipients({ ctx: await rt.open(cmd) });
      rt.print(
        cmd,
        r,
        [`${r.own}  (own, derived from the activation key)`, ...r.escrow.map((e) => `${e}  (escrow)`)].join(
          "\n",
        ),
      );
    });

  keys
    .command("allowed-signers")
    .description(
      "print the allowed-signers lines (git gpg.ssh.allowedSignersFile) that let `git verify-commit` / `git verify-tag` check restore points",
    )
    .action(async (_o, cmd: Command) => {
      const ctx = await rt.open(cmd);
      const { signer } = await ctx.keys();
      const r = await publishSigner(ctx.layout, signerPrincipal(ctx), signer.sshPublicKey);
      const current = r.lines.find((l) => l.endsWith(signer.sshPublicKey));
      if (!rt.globals(cmd).json) {
        rt.err(
          `# save these lines to a file, then in a clone: git config gpg.format ssh; git config gpg.ssh.allowedSignersFile FILE (this home uses ${r.file})`,
        );
      }
      rt.print(
        cmd,
        { file: r.file, lines: r.lines, current, principal: signerPrincipal(ctx) },
        r.lines.join("\n"),
      );
    });

  keys
    .command("add")
    .description("add an escrow recipient (an age public key); the next change seals to it too")
    .argument("<recipient>", "age1…")
    .action(async (recipient: string, _o, cmd: Command) => {
      const r = await addRecipient({ ctx: await rt.open(cmd), recipient });
      rt.print(
        cmd,
        r,
        `escrow recipients: ${r.escrow.length}; bundles sealed from the next change on open with it`,
      );
    });

  keys
    .command("remove")
    .description("remove an escrow recipient")
    .argument("<recipient>", "age1…")
    .action(async (recipient: string, _o, cmd: Command) => {
      const r = await removeRecipient({ ctx: await rt.open(cmd), recipient });
      rt.print(cmd, r, `escrow recipients: ${r.escrow.length}`);
    });

  keys
    .command("rotate")
    .description("switch to a new activation key; every restore point stays restorable with only the new key")
    .requiredOption("--new-key-file <file>", "file holding the new activation key (mode 0600)")
    .option("-m, --message <reason>", "why", "activation key rotation")
    .action(async (opts, cmd: Command) => {
      const r = await rotateKeys({
        ctx: await rt.open(cmd),
        newKeyFile: opts.newKeyFile,
        actor: rt.actor(cmd),
        reason: opts.message,
      });
      for (const w of r.warnings) rt.err(`warning: ${w}`);
      rt.print(
        cmd,
        r,
        `rotated: new recipient ${r.recipient}${r.tag ? `, re-sealed as ${r.tag}` : ""}; ${r.previousIdentities} earlier identity(ies) kept in the keyring; key now read from ${r.keySource}`,
      );
    });
}
