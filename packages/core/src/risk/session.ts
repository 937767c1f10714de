/**
 * The CME trading day in the exchange's time zone. Globex equity hours: the session
 * for a day opens at 17:00 local the evening before and closes at 16:00 local; the
 * hour 16:00-17:00 is the daily halt and still belongs to the closing session.
 * Only Intl.DateTimeFormat is used, so DST follows the runtime's tz database.
 */

/** Minutes after local midnight at which a new trading day begins (17:00). */
export const SESSION_START_MINUTES = 17 * 60;

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;

/** Wall-clock time in one time zone. */
export interface LocalClock {
  year: number;
  /** 1-12. */
  month: number;
  /** 1-31. */
  day: number;
  /** ISO weekday: 1 Monday … 7 Sunday. */
  weekday: number;
  /** Minutes since local midnight, 0-1439. */
  minutes: number;
}

/** A config trading window: `HH:MM` local times; `days` are ISO weekdays of the day the window starts. */
export interface TradingWindow {
  start: string;
  end: string;
  days?: readonly number[];
}

/** A trading window with times as minutes and days as a bit mask (bit d set for ISO weekday d). */
export interface CompiledWindow {
  start: number;
  end: number;
  /** 0 means every day. */
  dayMask: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
// One entry per zone: 1,000 followers checked at the same virtual instant share one Intl call.
const lastClock = new Map<string, { minute: number; clock: LocalClock }>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // Throws RangeError on an unknown zone, which compileRiskRules surfaces at start-up.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock date, ISO weekday and minutes since midnight of time `t` (ms) in zone `tz`. */
export function localClock(t: number, tz: string): LocalClock {
  const minute = Math.floor(t / MINUTE_MS);
  const cached = lastClock.get(tz);
  if (cached && cached.minute === minute) return cached.clock;
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let min = 0;
  for (const part of formatter(tz).formatToParts(minute * MINUTE_MS)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') min = Number(part.value);
  }
  const clock: LocalClock = Object.freeze({
    year,
    month,
    day,
    weekday: isoWeekday(year, month, day),
    minutes: hour * 60 + min,
  });
  lastClock.set(tz, { minute, clock });
  return clock;
}

function isoWeekday(year: number, month: number, day: number): number {
  const d = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return d === 0 ? 7 : d;
}

/** `YYYY-MM-DD` of a civil date, with month overflow normalised (day 32 is next month). */
function isoDate(year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${y}-${m}-${dd}`;
}

/**
 * `YYYY-MM-DD` of the trading day `t` belongs to: from 17:00 local it is the next day's.
 * Friday evening and the weekend belong to Monday's session, because Sunday 17:00 opens
 * Monday and no trading day is dated Saturday or Sunday.
 */
export function sessionDate(t: number, tz = 'America/Chicago'): string {
  const c = localClock(t, tz);
  let ahead = c.minutes >= SESSION_START_MINUTES ? 1 : 0;
  const weekday = ((c.weekday - 1 + ahead) % 7) + 1;
  if (weekday === 6) ahead += 2;
  else if (weekday === 7) ahead += 1;
  return isoDate(c.year, c.month, c.day + ahead);
}

/** Offset of zone `tz` from UTC at `t`, in ms (local wall time minus UTC). */
function zoneOffset(t: number, tz: string): number {
  const c = localClock(t, tz);
  const asUtc = Date.UTC(c.year, c.month - 1, c.day) + c.minutes * MINUTE_MS;
  return asUtc - Math.floor(t / MINUTE_MS) * MINUTE_MS;
}

/** Epoch ms of a local wall-clock time; 17:00 is never inside a DST gap, so one correction suffices. */
function localToEpoch(year: number, month: number, day: number, minutes: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day) + minutes * MINUTE_MS;
  const first = wall - zoneOffset(wall, tz);
  return wall - zoneOffset(first, tz);
}

/** Epoch ms of the first 17:00 local strictly after `t`: when a lock-out for "the rest of the session" ends. */
export function nextSessionStart(t: number, tz = 'America/Chicago'): number {
  const c = localClock(t, tz);
  const ahead = c.minutes >= SESSION_START_MINUTES ? 1 : 0;
  return localToEpoch(c.year, c.month, c.day + ahead, SESSION_START_MINUTES, tz);
}

/** Minutes since midnight of an `HH:MM` string. */
export function parseHhmm(text: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new RangeError(`not a time of day as HH:MM: ${JSON.stringify(text)}`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[1]) > 23 || Number(m[2]) > 59) throw new RangeError(`not a time of day: ${text}`);
  return minutes;
}

/** Parses config windows once so the per-order check does no string work. */
export function compileWindows(windows: readonly TradingWindow[]): CompiledWindow[] {
  return windows.map((w) => ({
    start: parseHhmm(w.start),
    end: parseHhmm(w.end),
    dayMask: (w.days ?? []).reduce((mask, d) => mask | (1 << d), 0),
  }));
}

/**
 * True when the local clock lies inside one of the windows (start inclusive, end exclusive).
 * A window with start > end runs past midnight; its `days` name the day it starts on.
 * start = end means the whole 24 hours from start.
 */
export function clockWithinWindows(c: LocalClock, windows: readonly CompiledWindow[]): boolean {
  const previousDay = c.weekday === 1 ? 7 : c.weekday - 1;
  for (const w of windows) {
    if (w.start < w.end) {
      if (c.minutes >= w.start && c.minutes < w.end && onDay(w, c.weekday)) return true;
    } else {
      if (c.minutes >= w.start && onDay(w, c.weekday)) return true;
      if (c.minutes < w.end && onDay(w, previousDay)) return true;
    }
  }
  return false;
}

function onDay(w: CompiledWindow, weekday: number): boolean {
  return w.dayMask === 0 || (w.dayMask & (1 << weekday)) !== 0;
}

/** True when `t` falls inside one of the config trading windows, in zone `tz`. An empty list admits nothing. */
export function isWithinWindows(
  t: number,
  windows: readonly TradingWindow[],
  tz = 'America/Chicago',
): boolean {
  return clockWithinWindows(localClock(t, tz), compileWindows(windows));
}

/**
 * True from `flatByMinutes` until the session ends at 17:00 local. Measured in minutes since
 * the 17:00 session open, so a flat-by after midnight (02:00) also works.
 */
export function clockPastFlatBy(c: LocalClock, flatByMinutes: number): boolean {
  const sinceOpen = (c.minutes - SESSION_START_MINUTES + DAY_MINUTES) % DAY_MINUTES;
  const flatSinceOpen = (flatByMinutes - SESSION_START_MINUTES + DAY_MINUTES) % DAY_MINUTES;
  return sinceOpen >= flatSinceOpen;
}

/** True when `t` is at or after the flat-by time (`HH:MM`) and before the next 17:00 session open. */
export function isPastFlatBy(t: number, flatBy: string, tz = 'America/Chicago'): boolean {
  return clockPastFlatBy(localClock(t, tz), parseHhmm(flatBy));
}
