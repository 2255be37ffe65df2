// GET /system/metrics/stream over real HTTP from a booted kernel: each tool call
// live, the system domain's own calls left out, resumable, the gap.
import { describe, expect, it } from 'vitest';
import { bootWithSystem, SseReader, streamSession } from '../../../test/sse.ts';

const session = streamSession('/system/metrics/stream');
const open = (headers: Record<string, string> = {}) => session.open('', headers);

const publishes = (r: SseReader) => r.named('call').filter((e) => e.data.caller === 't/probe' && e.data.method === 'publish');

describe('GET /system/metrics/stream', () => {
  it('sends each tool call as it is made, with its seq as id; never the system domain’s own', async () => {
    session.project = await bootWithSystem();
    const r = await open();
    await fetch(`${session.project!.url}/t/burst?n=2`, { method: 'POST' });
    await r.until('two publishes', () => publishes(r).length === 2);
    const call = publishes(r)[0]!;
    expect(call.data).toEqual({ seq: Number(call.id), caller: 't/probe', tool: 'bus', method: 'publish', ms: expect.any(Number), ok: true, code: '', traceId: expect.stringMatching(/^[0-9a-f]{32}$/), eventId: expect.any(String), atUnixMs: expect.any(Number) });
    // Give the feeds time to read and send a few times: none of it shows.
    await fetch(`${session.project!.url}/t/ping`);
    await new Promise((res) => setTimeout(res, 600));
    expect(r.named('call').filter((e) => e.data.caller.startsWith('system/'))).toEqual([]);
    expect(session.project!.kernel.metrics.recent().some((c) => c.caller === 'system/metrics-stream')).toBe(true);
  });

  it('resumes from Last-Event-ID with exactly the calls made since, and sends a gap for what the ring lost', async () => {
    session.project = await bootWithSystem();
    const first = await open();
    await fetch(`${session.project!.url}/t/burst?n=1`, { method: 'POST' });
    await first.until('a publish', () => publishes(first).length === 1);
    first.close();
    const lastId = Number(publishes(first)[0]!.id);
    await fetch(`${session.project!.url}/t/burst?n=3`, { method: 'POST' });
    const again = await open({ 'last-event-id': String(lastId) });
    await again.until('the three publishes missed', () => publishes(again).length === 3);
    expect(again.named('gap')).toEqual([]);
    expect(Math.min(...again.named('call').map((e) => Number(e.id)))).toBeGreaterThan(lastId);

    await fetch(`${session.project!.url}/t/burst?n=1500`, { method: 'POST' });
    const late = await open({ 'last-event-id': String(lastId) });
    await late.until('the gap', () => late.named('gap').length === 1);
    const gap = late.events[0]!;
    expect(gap.event).toBe('gap');
    expect(gap.data.missedFrom).toBe(lastId + 1);
    // The ring keeps the last 1000 calls: the rest of the 1500 is gone.
    expect(gap.data.missedTo).toBeGreaterThan(lastId + 400);
    expect(late.events[1]!.id).toBe(String(gap.data.missedTo + 1));
  });
});
