import { pointAt } from "../core/point-at.ts";
import { ConfvaultError, inOperation } from "../errors/confvault-error.ts";
import type { HomeContext } from "../home/context.ts";
import { applyConfig } from "./apply.ts";
import { diff } from "./diff.ts";
import { listRestorePoints } from "./list-restore-points.ts";
import { restore } from "./restore.ts";
import { showFile } from "./show-file.ts";
import { status } from "./status.ts";
import type { Operations } from "./types.ts";
import { listDeleted, undelete } from "./undelete.ts";

const dec = new TextDecoder();

/** The public operations bound to one home, as the HTTP layer uses them. */
export function bindOperations(ctx: HomeContext): Operations {
  return {
    home: ctx.layout.dir,
    apply: async (o) => {
      if (ctx.settings.role === "slave") {
        throw new ConfvaultError(
          "NOT_MASTER",
          `node ${ctx.settings.node} is a slave: it takes its config from its master`,
          `apply on the master (${ctx.settings.master ?? "see settings.master"}); local restores stay allowed here`,
        );
      }
      return await applyConfig({
        ctx,
        config: o.config,
        cert: o.cert ? dec.decode(o.cert) : undefined,
        key: o.key ? dec.decode(o.key) : undefined,
        reason: o.reason,
        actor: o.actor,
        tag: o.tag,
        dryRun: o.dryRun,
      });
    },
    listRestorePoints: (o) => listRestorePoints({ ctx, limit: o?.limit }),
    showFile: (o) => showFile({ ctx, ref: o.ref, file: o.file }),
    diff: (o) => diff({ ctx, from: o.from, to: o.to, unified: o.unified, showVolatile: o.showVolatile }),
    restore: (o) =>
      restore({
        ctx,
        ref: o.ref,
        reason: o.reason,
        actor: o.actor,
        dryRun: o.dryRun,
        ...(o.sections ? { sections: o.sections } : {}),
        ...(o.missing ? { missing: o.missing } : {}),
        ...(o.certificate ? { certificate: o.certificate } : {}),
        ...(o.record ? { record: true } : {}),
      }),
    pointAt: async (o) => {
      try {
        return await pointAt(ctx, o.time);
      } catch (err) {
        throw inOperation("restore point at", err);
      }
    },
    listDeleted: () => listDeleted({ ctx }),
    undelete: (o) => undelete({ ctx, tag: o.tag }),
    status: () => status({ ctx }),
    async ready() {
      try {
        await ctx.engine.branchTip("main");
        await ctx.keys();
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
  };
}
