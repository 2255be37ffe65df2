// GET /system/events/stream over real HTTP from a booted kernel: bus events and
// requests only, resumable; a viewer that stops reading neither slows publishing
// nor the other viewers, and is cut off.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bootWithSystem, callsOf, SseReader, stalledViewer, streamSession } from '../../../test/sse.ts';

const session = streamSession('/system/events/stream');
let stalled: Socket | undefined;
afterEach(() => {
  stalled?.destroy();
  stalled = undefined;
});
const open = (headers: Record<string, string> = {}) => session.open('', headers);

const burst = async (n: number, keys = 1): Promise<number> => ((await (await fetch(`${session.project!.url}/t/burst?n=${n}&keys=${keys}`, { method: 'POST' })).json()) as { ms: number }).ms;

describe('GET /system/events/stream', () => {
  it('sends bus events and requests as they happen, never HTTP requests', async () => {
    session.project = await bootWithSystem();
    const r = await open();
    await burst(2);
    await fetch(`${session.project!.url}/t/ask`, { method: 'POST' });
    await r.until('two events and a request', () => r.named('event').length === 3);
    expect(r.events.every((e) => e.event === 'event')).toBe(true);
    expect(r.named('event').map((e) => [e.data.kind, e.data.name, e.data.source])).toEqual([
      ['event', 't.burst', 't/probe'],
      ['event', 't.burst', 't/probe'],
      ['request', 't.asked', 't/probe'],
    ]);
    expect(r.named('event')[2]!.data.reactions).toEqual([expect.objectContaining({ identity: 't/probe', ok: true })]);
    for (const e of r.named('event')) expect(e.id).toBe(String(e.data.seq));
  });

  it('resumes from Last-Event-ID with exactly the events published since', async () => {
    session.project = await bootWithSystem();
    const first = await open();
    await burst(1);
    await first.until('an event', () => first.named('event').length === 1);
    first.close();
    const lastId = first.named('event')[0]!.id;
    await burst(3);
    const again = await open({ 'last-event-id': lastId });
    await burst(1);
    await again.until('the missed events, then a live one', () => again.named('event').length === 4);
    const ids = again.named('event').map((e) => Number(e.id));
    expect(ids[0]).toBeGreaterThan(Number(lastId));
    expect(new Set(ids).size).toBe(4);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.named('event')).toHaveLength(4);
  });

  it('cuts off a viewer that stops reading; publishing and the other viewers go on', async () => {
    session.project = await bootWithSystem();
    // Before anyone watches: how long 1000 events take to publish.
    const alone = Math.min(await burst(1000, 10), await burst(1000, 10));
    const reading = await open();
    stalled = await stalledViewer(`${session.project!.url}/system/events/stream`);
    const cut = () => callsOf(session.project!, 'system/events-stream', 'http', 'sendEvent').errors > 0;
    // ~0.6 KB per event: the stalled viewer's unsent bytes pass 1 MiB once the socket buffers are full.
    const times: number[] = [];
    for (let i = 0; i < 100 && !cut(); i++) {
      times.push(await burst(1000, 10));
      await new Promise((r) => setTimeout(r, 260));
    }
    expect(cut()).toBe(true);
    // Publishing never waits for a viewer: the feed reads the ring after the fact.
    times.sort((a, b) => a - b);
    expect(times[Math.floor(times.length / 2)]!).toBeLessThan(alone * 3 + 50);
    // The reader still gets what is published after the cut.
    await burst(1);
    const last = session.project!.kernel.tracer.lastSeq;
    await reading.until('the latest event', () => reading.events.some((e) => Number(e.id) === last), 10_000);
    expect(callsOf(session.project!, 'system/events-stream', 'http', 'sendEvent').errors).toBe(1);
  });
});
