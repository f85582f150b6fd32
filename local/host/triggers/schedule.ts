/**
 * Timer trigger schedules as the Functions host reads them: a six-field NCRONTAB expression
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated by croner with NCrontab's semantics: the day
 * and day-of-week fields must BOTH match), or a TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`) meaning a fixed interval.
 * Time zone: UTC unless WEBSITE_TIME_ZONE names an IANA zone, as on Linux plans. Pure: no timers here.
 */
import { Cron } from 'croner';

export class ScheduleError extends Error {
  constructor(expression: string, message: string) {
    super(`timer schedule "${expression}": ${message}`);
    this.name = 'ScheduleError';
  }
}

export interface TimerSchedule {
  expression: string;
  kind: 'ncrontab' | 'timespan';
  /** The first occurrence strictly after `after`, or undefined when the schedule never fires again. */
  next(after: Date): Date | undefined;
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

export function parseTimerSchedule(expression: string, timeZone = 'UTC'): TimerSchedule {
  const text = expression.trim();
  const span = TIMESPAN.exec(text);
  if (span) {
    const [, days, hours, minutes, seconds] = span;
    const ms = (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds ?? 0)) * 1000;
    if (ms <= 0) throw new ScheduleError(expression, 'a TimeSpan schedule must be longer than zero');
    return { expression, kind: 'timespan', next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleError(
      expression,
      `expected six NCRONTAB fields "{second} {minute} {hour} {day} {month} {day-of-week}", got ${fields.length}`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { mode: '6-part', domAndDow: true, timezone: timeZone });
  } catch (err: unknown) {
    throw new ScheduleError(expression, err instanceof Error ? err.message : String(err));
  }
  return {
    expression,
    kind: 'ncrontab',
    next: (after) => cron.nextRun(after) ?? undefined,
  };
}

/** Replaces `%NAME%` with the app setting NAME, as the host does in binding properties. */
export function resolveSettingReferences(
  value: string,
  settings: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  return value.replace(/%([^%\s]+)%/g, (_m, name: string) => {
    const resolved = settings[name];
    if (resolved === undefined) {
      throw new Error(`${where}: '%${name}%' does not resolve to a value (no app setting named ${name})`);
    }
    return resolved;
  });
}
