// GET /system/logs/stream over real HTTP from a booted kernel: the lines every
// identity writes, live and resumable; ?level= filters.
import { describe, expect, it } from 'vitest';
import { bootWithSystem, SseReader, streamSession } from '../../../test/sse.ts';

const session = streamSession('/system/logs/stream');
const open = (query = '', headers: Record<string, string> = {}) => session.open(query, headers);

// LOG_LEVEL=warn: the lines a test writes are warnings, so stdout stays quiet otherwise.
const boot = () => bootWithSystem({ env: { LOG_LEVEL: 'warn' } });

describe('GET /system/logs/stream', () => {
  it('sends each line written, a plugin’s or the kernel’s, with its seq as id', async () => {
    session.project = await boot();
    const r = await open();
    await fetch(`${session.project!.url}/t/log?level=warn&n=2`, { method: 'POST' });
    await r.until('two lines', () => r.named('log').filter((e) => e.data.source === 't/probe').length === 2);
    const [line] = r.named('log').filter((e) => e.data.source === 't/probe');
    expect(line!.data).toEqual({ seq: Number(line!.id), atUnixMs: expect.any(Number), level: 'warn', source: 't/probe', message: 'line 0', fields: { i: '0' }, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    // Lines LOG_LEVEL drops are neither written nor kept.
    await fetch(`${session.project!.url}/t/log?level=info`, { method: 'POST' });
    // The kernel's and the tools' own lines too: the http tool logs a stream that failed.
    (await open('?level=loud')).close();
    await r.until('the http tool’s line', () => r.named('log').some((e) => e.data.source === 'tool/http' && e.data.fields.code === 'MC_ERR_INVALID_ARGUMENT'));
    expect(r.named('log').filter((e) => e.data.level === 'info')).toEqual([]);
  });

  it('?level=error sends only error lines; another word is refused', async () => {
    session.project = await boot();
    const r = await open('?level=error');
    await fetch(`${session.project!.url}/t/log?level=warn`, { method: 'POST' });
    await fetch(`${session.project!.url}/t/log?level=error`, { method: 'POST' });
    await r.until('the error line', () => r.named('log').length === 1);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.named('log').map((e) => e.data.level)).toEqual(['error']);

    const bad = await open('?level=loud');
    await bad.until('the refusal', () => bad.named('error').length === 1);
    expect(bad.named('error')[0]!.data).toEqual({ code: 'MC_ERR_INVALID_ARGUMENT' });
  });

  it('resumes from Last-Event-ID with exactly the lines written since', async () => {
    session.project = await boot();
    const first = await open();
    await fetch(`${session.project!.url}/t/log?level=warn`, { method: 'POST' });
    await first.until('a line', () => first.named('log').length >= 1);
    first.close();
    const lastId = Number(first.named('log').at(-1)!.id);
    await fetch(`${session.project!.url}/t/log?level=warn&n=3`, { method: 'POST' });
    const again = await open('', { 'last-event-id': String(lastId) });
    await again.until('the three lines missed', () => again.named('log').length >= 3);
    expect(again.named('log').map((e) => Number(e.id))).toEqual(session.project!.kernel.logs.list(lastId).map((l) => l.seq).reverse());
    expect(again.named('log').map((e) => e.data.message)).toEqual(['line 0', 'line 1', 'line 2']);
  });
});
