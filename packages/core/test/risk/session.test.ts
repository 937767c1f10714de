import { describe, expect, it } from 'vitest';
import {
  isPastFlatBy,
  isWithinWindows,
  localClock,
  nextSessionStart,
  sessionDate,
} from '../../src/risk/session.js';

const CT = 'America/Chicago';
const at = (iso: string) => Date.parse(iso);

describe('localClock', () => {
  it('reads Chicago wall time on both sides of the March DST change', () => {
    // Friday before DST: CST, UTC-6.
    expect(localClock(at('2025-03-07T15:30:00Z'), CT)).toEqual({
      year: 2025,
      month: 3,
      day: 7,
      weekday: 5,
      minutes: 570,
    });
    // Monday after DST (9 March 2025): CDT, UTC-5.
    expect(localClock(at('2025-03-10T14:30:00Z'), CT)).toEqual({
      year: 2025,
      month: 3,
      day: 10,
      weekday: 1,
      minutes: 570,
    });
  });

  it('gives Sunday as ISO weekday 7 and honours other zones', () => {
    expect(localClock(at('2025-11-02T18:00:00Z'), CT).weekday).toBe(7);
    expect(localClock(at('2025-11-02T18:00:00Z'), 'America/New_York').minutes).toBe(13 * 60);
  });
});

describe('sessionDate', () => {
  it('moves to the next day at 17:00 local, not before', () => {
    expect(sessionDate(at('2025-03-11T21:59:00Z'), CT)).toBe('2025-03-11'); // 16:59 CDT
    expect(sessionDate(at('2025-03-11T22:00:00Z'), CT)).toBe('2025-03-12'); // 17:00 CDT
  });

  it('follows 17:00 local across the November change (UTC hour shifts by one)', () => {
    expect(sessionDate(at('2025-11-04T22:59:00Z'), CT)).toBe('2025-11-04'); // 16:59 CST
    expect(sessionDate(at('2025-11-04T23:00:00Z'), CT)).toBe('2025-11-05'); // 17:00 CST
  });

  it('dates Friday evening and the weekend as Monday', () => {
    expect(sessionDate(at('2025-03-14T21:00:00Z'), CT)).toBe('2025-03-14'); // Fri 16:00
    expect(sessionDate(at('2025-03-14T22:00:00Z'), CT)).toBe('2025-03-17'); // Fri 17:00
    expect(sessionDate(at('2025-03-15T17:00:00Z'), CT)).toBe('2025-03-17'); // Sat
    expect(sessionDate(at('2025-03-16T22:30:00Z'), CT)).toBe('2025-03-17'); // Sun 17:30
  });

  it('crosses a month and a year end', () => {
    expect(sessionDate(at('2025-12-31T23:30:00Z'), CT)).toBe('2026-01-01'); // Wed 17:30 CST
  });
});

describe('nextSessionStart', () => {
  it('is 17:00 CST before the March change and 17:00 CDT after it', () => {
    expect(nextSessionStart(at('2025-03-08T18:00:00Z'), CT)).toBe(at('2025-03-08T23:00:00Z'));
    expect(nextSessionStart(at('2025-03-08T23:30:00Z'), CT)).toBe(at('2025-03-09T22:00:00Z')); // 23-hour day
  });

  it('spans the 25-hour day in November', () => {
    expect(nextSessionStart(at('2025-11-01T23:00:00Z'), CT)).toBe(at('2025-11-02T23:00:00Z')); // Sat 18:00 CDT
  });

  it('is strictly after t: at 17:00 exactly it is the next day', () => {
    expect(nextSessionStart(at('2025-06-10T22:00:00Z'), CT)).toBe(at('2025-06-11T22:00:00Z'));
    expect(nextSessionStart(at('2025-06-10T21:59:59Z'), CT)).toBe(at('2025-06-10T22:00:00Z'));
  });
});

describe('isWithinWindows', () => {
  const rth = [{ start: '08:30', end: '15:00' }];

  it('uses local time on both sides of DST, start inclusive and end exclusive', () => {
    expect(isWithinWindows(at('2025-03-07T14:30:00Z'), rth, CT)).toBe(true); // 08:30 CST
    expect(isWithinWindows(at('2025-03-10T13:30:00Z'), rth, CT)).toBe(true); // 08:30 CDT
    expect(isWithinWindows(at('2025-03-10T13:29:00Z'), rth, CT)).toBe(false);
    expect(isWithinWindows(at('2025-03-10T19:59:00Z'), rth, CT)).toBe(true); // 14:59 CDT
    expect(isWithinWindows(at('2025-03-10T20:00:00Z'), rth, CT)).toBe(false); // 15:00 CDT
  });

  it('handles a window across midnight, its days naming the day it starts', () => {
    const night = [{ start: '22:00', end: '02:00', days: [1] }];
    expect(isWithinWindows(at('2025-06-10T03:30:00Z'), night, CT)).toBe(true); // Mon 22:30 CDT
    expect(isWithinWindows(at('2025-06-10T06:59:00Z'), night, CT)).toBe(true); // Tue 01:59, started Mon
    expect(isWithinWindows(at('2025-06-10T07:00:00Z'), night, CT)).toBe(false); // Tue 02:00
    expect(isWithinWindows(at('2025-06-11T03:30:00Z'), night, CT)).toBe(false); // Tue 22:30
    expect(isWithinWindows(at('2025-06-09T06:00:00Z'), night, CT)).toBe(false); // Mon 01:00, started Sun
  });

  it('filters by weekday and admits nothing with no windows', () => {
    const weekdays = [{ start: '00:00', end: '23:59', days: [1, 2, 3, 4, 5] }];
    expect(isWithinWindows(at('2025-06-14T15:00:00Z'), weekdays, CT)).toBe(false); // Saturday
    expect(isWithinWindows(at('2025-06-13T15:00:00Z'), weekdays, CT)).toBe(true); // Friday
    expect(isWithinWindows(at('2025-06-13T15:00:00Z'), [], CT)).toBe(false);
  });
});

describe('isPastFlatBy', () => {
  it('blocks from flat-by until the 17:00 session open', () => {
    expect(isPastFlatBy(at('2025-03-10T20:54:00Z'), '15:55', CT)).toBe(false); // 15:54 CDT
    expect(isPastFlatBy(at('2025-03-10T20:55:00Z'), '15:55', CT)).toBe(true); // 15:55 CDT
    expect(isPastFlatBy(at('2025-03-10T21:59:00Z'), '15:55', CT)).toBe(true); // 16:59 CDT
    expect(isPastFlatBy(at('2025-03-10T22:00:00Z'), '15:55', CT)).toBe(false); // 17:00 CDT
    expect(isPastFlatBy(at('2025-03-11T08:00:00Z'), '15:55', CT)).toBe(false); // 03:00 CDT
  });

  it('uses local time after the November change', () => {
    expect(isPastFlatBy(at('2025-11-03T21:55:00Z'), '15:55', CT)).toBe(true); // 15:55 CST
    expect(isPastFlatBy(at('2025-11-03T20:55:00Z'), '15:55', CT)).toBe(false); // 14:55 CST
  });
});
