import type { HomeContext } from "../home/context.ts";
import type { Person } from "../repo/engine.ts";

/** The git author/tagger of a change this node makes: the actor's name, the node's address, now (UTC). */
export function changeAuthor(ctx: HomeContext, actor: string, fallback = "unknown"): Person {
  return {
    name: actor.replace(/[<>\r\n]/g, "").trim() || fallback,
    email: `confvault@${ctx.settings.node}`,
    timestamp: Math.floor(ctx.now().getTime() / 1000),
    timezoneOffset: 0,
  };
}
