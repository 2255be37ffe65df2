// Time limits. Every lifecycle step runs under one (MicroCoreOS hangs forever on
// a stuck onBoot; MicroCore names the step and moves on); each HTTP request has
// its own deadline in tools/http.
//
// Every duration MicroCore takes — a call argument (bus.request timeoutMs, an
// endpoint's timeoutMs), a manifest field (startTimeoutMs, limits.timeoutMs …),
// a *_MS setting — passes through here. Node's timers hold at most 2^31 − 1 ms
// (about 24.8 days); a longer one fires after 1 ms, so a "wait a month" would
// become "fail now". Such a value is refused, naming where it came from.
import { mcError, type ErrorCode } from './errors.ts';

export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * `value` as milliseconds: `fallback` when it is unset (undefined, '' or 0 for
 * fields where 0 means "the default"), else a whole number from 0 to
 * MAX_DURATION_MS. `where` names the field or setting; `code` is the error a
 * caller there expects (a bad manifest field is MC_ERR_MANIFEST_INVALID).
 */
export function durationMs(value: unknown, where: string, fallback: number, code: ErrorCode = 'MC_ERR_INVALID_ARGUMENT', max = MAX_DURATION_MS): number {
  if (value === undefined || value === '' || value === null) return fallback;
  const ms = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > max) {
    throw mcError(code, `${where} is ${String(value)}; a duration is a whole number of milliseconds from 0 to ${max}${max === MAX_DURATION_MS ? ' (about 24.8 days)' : ''}`, { field: where, value: String(value) }, undefined, `Set ${where} to a whole number of milliseconds up to ${max}.`);
  }
  return ms;
}

export async function withTimeout<T>(ms: number, what: string, step: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(mcError('MC_ERR_LIFECYCLE_TIMEOUT', `${what} did not finish within ${ms} ms`, { step: what, timeoutMs: String(ms) })), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(step), limit]);
  } finally {
    clearTimeout(timer);
  }
}
