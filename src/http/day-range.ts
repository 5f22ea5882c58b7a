import type { Request } from 'express';
import { DAY } from '../subscribers/signup-stats';
import { HttpError } from './errors';

/** Longest series one stats request answers (a year and a day). */
export const MAX_RANGE_DAYS = 366;

const DAY_MS = 86_400_000;
const dayMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** `day` minus `n` calendar days (YYYY-MM-DD arithmetic, whatever the time zone that named the day). */
const daysBefore = (day: string, n: number) => new Date(dayMs(day) - n * DAY_MS).toISOString().slice(0, 10);

/**
 * The days of a stats request, inclusive: `from`/`to` (YYYY-MM-DD), else the `defaultDays` up to `today`
 * (the caller's notion of today: UTC for the audience, TIME_ZONE for sign-ups); with `daysParam`, `?days=N`
 * sets that span. The span is counted, never listed, before it is checked: a hostile range builds nothing.
 */
export function dayRange(query: Request['query'], o: { today: string; defaultDays: number; daysParam?: boolean }): { from: string; to: string } {
  const date = (v: unknown, fallback: string) => {
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string' || !DAY.test(v) || Number.isNaN(dayMs(v)) || daysBefore(v, 0) !== v) {
      throw new HttpError(400, 'validation_failed', 'from and to must be dates as YYYY-MM-DD.');
    }
    return v;
  };
  let days = o.defaultDays;
  if (o.daysParam && query.days !== undefined) {
    days = typeof query.days === 'string' && /^\d{1,3}$/.test(query.days) ? Number(query.days) : NaN;
    if (!(days >= 1 && days <= MAX_RANGE_DAYS)) throw new HttpError(400, 'validation_failed', `days must be a whole number from 1 to ${MAX_RANGE_DAYS}.`);
  }
  const to = date(query.to, o.today);
  const from = date(query.from, daysBefore(to, days - 1));
  if (from > to) throw new HttpError(400, 'validation_failed', 'from must not be after to.');
  if ((dayMs(to) - dayMs(from)) / DAY_MS + 1 > MAX_RANGE_DAYS) throw new HttpError(400, 'validation_failed', `At most ${MAX_RANGE_DAYS} days at a time.`);
  return { from, to };
}
