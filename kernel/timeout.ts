// Every lifecycle step runs under a time limit (MicroCoreOS hangs forever on a
// stuck onBoot; MicroCore names the step and moves on).
import { mcError } from './errors.ts';

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
