// Cron expressions, in UTC: five fields (minute hour day-of-month month
// day-of-week) or six with seconds first; `*`, numbers, lists, ranges, steps,
// month and day names, and the @daily-style shorthands. Written here rather than
// taken from npm: a catalog tool that `microcore add` installs brings its files,
// not packages, and this is about a hundred lines. Day-of-month and day-of-week
// follow Vixie cron: when both are restricted (neither starts with `*`), a day
// matching either fires.
import { mcError } from '../../kernel/index.ts';

export interface Cron {
  /** The expression as given (trimmed). */
  text: string;
  seconds: boolean[];
  minutes: boolean[];
  hours: boolean[];
  days: boolean[];
  months: boolean[];
  weekdays: boolean[];
  /** Whether day-of-month / day-of-week were `*`-led (unrestricted for the either-day rule). */
  anyDay: boolean;
  anyWeekday: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] };
// 7 is Sunday too; folded into 0 after parsing.
const WEEKDAY: FieldSpec = { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] };

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// How far ahead a next run is looked for: past it the expression never fires
// (30 February). Leap days recur within 8 years.
const HORIZON_MS = 8 * 366 * 86_400_000;

/** Parses an expression, or throws MC_ERR_INVALID_ARGUMENT naming the field and the fix. */
export function parseCron(expression: string, where = 'cron'): Cron {
  const text = expression.trim();
  const expanded = SHORTHANDS[text.toLowerCase()] ?? text;
  const fields = expanded.split(/\s+/).filter(Boolean);
  if (fields.length !== 5 && fields.length !== 6) {
    throw invalid(where, text, `has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`);
  }
  const [sec, min, hour, day, month, weekday] = fields.length === 6 ? fields : ['0', ...fields];
  const weekdays = parseField(weekday!, WEEKDAY, where, text);
  if (weekdays[7]) weekdays[0] = true;
  const cron: Cron = {
    text,
    seconds: parseField(sec!, SECOND, where, text),
    minutes: parseField(min!, MINUTE, where, text),
    hours: parseField(hour!, HOUR, where, text),
    days: parseField(day!, DAY, where, text),
    months: parseField(month!, MONTH, where, text),
    weekdays: weekdays.slice(0, 7),
    anyDay: day!.startsWith('*'),
    anyWeekday: weekday!.startsWith('*'),
  };
  // 30 February and the like: well-formed, never due.
  if (nextRun(cron, Date.UTC(2000, 0, 1)) === undefined) throw invalid(where, text, 'never fires (no such date: the day-of-month does not occur in the months given)');
  return cron;
}

/** The first run strictly after `afterMs` (ms since the epoch), or undefined if none within eight years. */
export function nextRun(cron: Cron, afterMs: number): number | undefined {
  const d = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  const limit = afterMs + HORIZON_MS;
  while (d.getTime() <= limit) {
    if (!cron.months[d.getUTCMonth() + 1]) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0);
    } else if (!dayMatches(cron, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0);
    } else if (!cron.hours[d.getUTCHours()]) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0);
    } else if (!cron.minutes[d.getUTCMinutes()]) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0);
    } else if (!cron.seconds[d.getUTCSeconds()]) {
      d.setUTCSeconds(d.getUTCSeconds() + 1);
    } else {
      return d.getTime();
    }
  }
  return undefined;
}

function dayMatches(cron: Cron, d: Date): boolean {
  const day = cron.days[d.getUTCDate()]!;
  const weekday = cron.weekdays[d.getUTCDay()]!;
  // Vixie cron: both restricted means either; otherwise the `*` one matches every day anyway.
  return !cron.anyDay && !cron.anyWeekday ? day || weekday : day && weekday;
}

function parseField(field: string, spec: FieldSpec, where: string, text: string): boolean[] {
  const set = new Array<boolean>(spec.max + 1).fill(false);
  for (const part of field.split(',')) {
    const bad = (why: string) => invalid(where, text, `${spec.name} field '${field}': ${why}`, spec.name);
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === '') throw bad(`'${part}' is not a value, range or step`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1 || stepText === '') throw bad(`step '${stepText}' is not a whole number from 1`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      [lo, hi] = [spec.min, spec.max === 7 ? 6 : spec.max];
    } else {
      const [a, b, more] = range!.split('-');
      if (more !== undefined) throw bad(`'${range}' is not a range`);
      lo = value(a!, spec, bad);
      // `5/15`: from 5 to the end, every 15th.
      hi = b !== undefined ? value(b, spec, bad) : stepText !== undefined ? spec.max : lo;
      if (lo > hi) throw bad(`range '${range}' runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) set[v] = true;
  }
  return set;
}

function value(text: string, spec: FieldSpec, bad: (why: string) => Error): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + (spec.min === 1 ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= spec.min && n <= spec.max)) throw bad(`'${text}' is not ${spec.names ? 'a name or ' : ''}a number from ${spec.min} to ${spec.max}`);
  return n;
}

function invalid(where: string, text: string, why: string, field?: string): Error {
  return mcError('MC_ERR_INVALID_ARGUMENT', `${where} '${text}' ${why}`, { field: 'cron', ...(field ? { cronField: field } : {}) }, undefined, 'Write five fields (minute hour day-of-month month day-of-week) or six (seconds first), e.g. "*/5 * * * *" for every five minutes, in UTC.');
}
