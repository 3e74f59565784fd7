import cron from "node-cron";
import { ConfvaultError } from "../errors/confvault-error.ts";

/** A parsed cron expression that answers "when did it last fire?" in UTC. */
export interface CronTimes {
  expression: string;
  /** True when the expression has a seconds field. */
  seconds: boolean;
  matches(at: Date): boolean;
  /** The latest fire time in [notBefore, before], or null. */
  previous(before: Date, notBefore: Date): Date | null;
}

export function parseCron(expression: string): CronTimes {
  const detail = cron.validateDetailed(expression);
  if (!detail.valid || !detail.fields) {
    throw new ConfvaultError(
      "SETTINGS_INVALID",
      `invalid cron expression ${JSON.stringify(expression)}: ${detail.errors.map((e) => e.message).join("; ")}`,
      'use 5 fields "m h dom mon dow" (or 6 with seconds first), e.g. "*/5 * * * *"; times are UTC',
    );
  }
  const f = detail.fields;
  const set = (xs: Array<number | string>) => new Set(xs.filter((x): x is number => typeof x === "number"));
  const sec = set(f.second);
  const min = set(f.minute);
  const hour = set(f.hour);
  const dom = set(f.dayOfMonth);
  const lastDom = f.dayOfMonth.includes("L");
  const month = set(f.month);
  const dow = set(f.dayOfWeek);
  if (dow.has(7)) dow.add(0);
  const seconds = expression.trim().split(/\s+/).length === 6;

  const dayMatches = (d: Date) => {
    const day = d.getUTCDate();
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    return (
      month.has(d.getUTCMonth() + 1) && (dom.has(day) || (lastDom && day === last)) && dow.has(d.getUTCDay())
    );
  };
  const matches = (d: Date) =>
    dayMatches(d) && hour.has(d.getUTCHours()) && min.has(d.getUTCMinutes()) && sec.has(d.getUTCSeconds());

  return {
    expression,
    seconds,
    matches,
    previous(before, notBefore) {
      let t = Math.floor(before.getTime() / 1000) * 1000;
      const floor = notBefore.getTime();
      while (t >= floor) {
        const d = new Date(t);
        if (!dayMatches(d)) t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - 1000;
        else if (!hour.has(d.getUTCHours())) t -= (d.getUTCMinutes() * 60 + d.getUTCSeconds() + 1) * 1000;
        else if (!min.has(d.getUTCMinutes())) t -= (d.getUTCSeconds() + 1) * 1000;
        else if (!sec.has(d.getUTCSeconds())) t -= 1000;
        else return d;
      }
      return null;
    },
  };
}
