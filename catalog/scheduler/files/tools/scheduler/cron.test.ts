// Cron expressions: next runs worked out by hand, in UTC, and each kind of
// mistake refused with the field it is in.
import { describe, expect, it } from 'vitest';
import { McError } from '../../kernel/index.ts';
import { nextRun, parseCron } from './cron.ts';

const at = (iso: string) => Date.parse(iso);
const next = (expr: string, after: string) => new Date(nextRun(parseCron(expr), at(after))!).toISOString();

describe('cron', () => {
  it('finds the next run of each kind of field', () => {
    expect(next('*/15 * * * *', '2026-03-01T10:07:30Z')).toBe('2026-03-01T10:15:00.000Z');
    expect(next('*/15 * * * *', '2026-03-01T10:15:00Z')).toBe('2026-03-01T10:30:00.000Z'); // strictly after
    expect(next('0 3 * * *', '2026-03-01T03:00:01Z')).toBe('2026-03-02T03:00:00.000Z');
    expect(next('30 9 * * MON-FRI', '2026-03-06T10:00:00Z')).toBe('2026-03-09T09:30:00.000Z'); // Friday after 9:30 → Monday
    expect(next('0 0 1 JAN,jul *', '2026-03-01T00:00:00Z')).toBe('2026-07-01T00:00:00.000Z');
    expect(next('5-10/5 8 * * *', '2026-03-01T08:06:00Z')).toBe('2026-03-01T08:10:00.000Z');
    expect(next('10/20 * * * *', '2026-03-01T08:31:00Z')).toBe('2026-03-01T08:50:00.000Z');
    expect(next('0 12 * * 7', '2026-03-02T00:00:00Z')).toBe('2026-03-08T12:00:00.000Z'); // 7 is Sunday
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('59 23 31 12 *', '2026-12-31T23:59:00Z')).toBe('2027-12-31T23:59:00.000Z');
    expect(next('@hourly', '2026-03-01T10:59:59.999Z')).toBe('2026-03-01T11:00:00.000Z');
    expect(next('@weekly', '2026-03-01T00:00:00Z')).toBe('2026-03-08T00:00:00.000Z');
  });

  it('takes six fields with seconds first', () => {
    expect(next('*/10 * * * * *', '2026-03-01T10:00:01.500Z')).toBe('2026-03-01T10:00:10.000Z');
    expect(next('30 0 0 * * *', '2026-03-01T00:00:30Z')).toBe('2026-03-02T00:00:30.000Z');
  });

  it('fires on either day field when both are restricted, as cron does', () => {
    // The 15th or any Monday: 2026-03-09 is a Monday, before the 15th.
    expect(next('0 0 15 * MON', '2026-03-03T00:00:00Z')).toBe('2026-03-09T00:00:00.000Z');
    expect(next('0 0 15 * MON', '2026-03-09T00:00:00Z')).toBe('2026-03-15T00:00:00.000Z');
    // Day-of-week `*`: the day-of-month alone decides.
    expect(next('0 0 15 * *', '2026-03-03T00:00:00Z')).toBe('2026-03-15T00:00:00.000Z');
  });

  it.each([
    ['* * *', 'has 3 fields', undefined],
    ['61 * * * *', "minute field '61'", 'minute'],
    ['* 24 * * *', "hour field '24'", 'hour'],
    ['* * 0 * *', "day-of-month field '0'", 'day-of-month'],
    ['* * * 13 *', "month field '13'", 'month'],
    ['* * * FOO *', "month field 'FOO'", 'month'],
    ['* * * * 8', "day-of-week field '8'", 'day-of-week'],
    ['*/0 * * * *', 'step', 'minute'],
    ['10-5 * * * *', 'backwards', 'minute'],
    ['1,,2 * * * *', 'not a value', 'minute'],
    ['0 0 30 2 *', 'never fires', undefined],
  ])('refuses %j naming what is wrong', (expr, words, field) => {
    let error: unknown;
    try {
      parseCron(expr, 'job cron');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(McError);
    expect((error as McError).code).toBe('MC_ERR_INVALID_ARGUMENT');
    expect((error as McError).message).toContain(words);
    expect((error as McError).message).toContain(`job cron '${expr}'`);
    expect((error as McError).details).toEqual(field ? { field: 'cron', cronField: field } : { field: 'cron' });
  });
});
