import { describe, expect, it } from 'vitest';
import {
  parseTimerSchedule,
  resolveSettingReferences,
  ScheduleError,
} from '../../../../local/host/triggers/schedule.js';

const at = (iso: string): Date => new Date(iso);

describe('NCRONTAB schedules', () => {
  it.each([
    ['0 */5 * * * *', '2024-01-01T00:05:00Z', '2024-01-01T00:10:00Z'],
    ['0 */5 * * * *', '2024-01-01T00:04:59.500Z', '2024-01-01T00:05:00Z'],
    ['*/10 * * * * *', '2024-01-01T00:00:05Z', '2024-01-01T00:00:10Z'],
    ['0 30 9 * * 1-5', '2024-01-05T10:00:00Z', '2024-01-08T09:30:00Z'],
    ['0 30 9 * * Mon-Fri', '2024-01-05T10:00:00Z', '2024-01-08T09:30:00Z'],
    ['0 0 0 1 Jan *', '2024-06-01T00:00:00Z', '2025-01-01T00:00:00Z'],
    // NCrontab: day-of-month AND day-of-week (Friday the 13th), not cron's OR
    ['0 0 0 13 * Fri', '2024-01-01T00:00:00Z', '2024-09-13T00:00:00Z'],
  ])('%s after %s is %s', (expression, after, next) => {
    expect(parseTimerSchedule(expression).next(at(after))?.toISOString()).toBe(at(next).toISOString());
  });

  it('reads TimeSpan schedules as fixed intervals', () => {
    expect(parseTimerSchedule('00:05:00').next(at('2024-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2024-01-01T00:05:00.000Z',
    );
    expect(parseTimerSchedule('1.02:00:00').next(at('2024-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2024-01-02T02:00:00.000Z',
    );
  });

  it('uses the given time zone', () => {
    expect(parseTimerSchedule('0 0 9 * * *', 'Europe/Berlin').next(at('2024-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2024-01-01T08:00:00.000Z',
    );
  });

  it.each([
    ['0 * * * *', 'expected six NCRONTAB fields'],
    ['x 0 * * * *', 'illegal characters'],
    ['0 0 25 * * *', 'timer schedule "0 0 25 * * *"'],
    ['00:00:00', 'longer than zero'],
  ])('rejects %s with a message', (expression, message) => {
    expect(() => parseTimerSchedule(expression)).toThrow(ScheduleError);
    expect(() => parseTimerSchedule(expression)).toThrow(message);
  });

  it('resolves %SETTING% references and names a missing setting', () => {
    expect(resolveSettingReferences('%A%-%B%', { A: '1', B: 'two' }, 'here')).toBe('1-two');
    expect(() => resolveSettingReferences('%MISSING%', {}, "function 'f'")).toThrow(
      "function 'f': '%MISSING%' does not resolve to a value (no app setting named MISSING)",
    );
  });
});
