// GET /system/traces/stream over real HTTP from a booted kernel: live nodes with
// their seq as id, resuming with Last-Event-ID, the gap, and no poll loop while
// nobody watches.
import { describe, expect, it } from 'vitest';
import { bootWithSystem, callsOf, sleep, SseReader, streamSession } from '../../../test/sse.ts';

const session = streamSession('/system/traces/stream');
const open = (headers: Record<string, string> = {}) => session.open('', headers);

const pings = (r: SseReader) => r.named('trace').filter((e) => e.data.name === 'GET /t/ping');

describe('GET /system/traces/stream', () => {
  it('sends each node live, its seq as the event id, with the shape /system/traces/flat lists', async () => {
    session.project = await bootWithSystem();
    const r = await open();
    for (let i = 0; i < 3; i++) await fetch(`${session.project!.url}/t/ping`);
    await r.until('three pings', () => pings(r).length === 3);
    for (const e of r.named('trace')) expect(e.id).toBe(String(e.data.seq));
    const ids = r.named('trace').map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const flat = (await (await fetch(`${session.project!.url}/system/traces/flat`)).json()) as { nodes: { seq: number; id: string }[] };
    const sent = pings(r)[2]!.data;
    expect(sent).toMatchObject({ kind: 'http', source: 't/probe', ok: true, kernel: expect.any(String), reactions: [], calls: [] });
    expect(Object.keys(sent).sort()).toEqual(Object.keys(flat.nodes.find((n) => n.id === sent.id)!).sort());
  });

  it('resumes from Last-Event-ID with exactly the nodes recorded since', async () => {
    session.project = await bootWithSystem();
    const first = await open();
    await fetch(`${session.project!.url}/t/ping`);
    await first.until('a ping', () => pings(first).length === 1);
    first.close();
    const lastId = Number(first.events.at(-1)!.id);
    await fetch(`${session.project!.url}/t/ping`);
    await fetch(`${session.project!.url}/t/ping`);
    const lastSeq = session.project!.kernel.tracer.lastSeq;

    const again = await open({ 'last-event-id': String(lastId) });
    await again.until('the nodes missed', () => again.named('trace').some((e) => Number(e.id) >= lastSeq));
    const ids = again.named('trace').map((e) => Number(e.id));
    // Every node after the last one seen, in order, none seen before; then live ones.
    expect(ids.slice(0, lastSeq - lastId)).toEqual(Array.from({ length: lastSeq - lastId }, (_, i) => lastId + 1 + i));
    expect(pings(again)).toHaveLength(2);
    expect(again.named('gap')).toEqual([]);
  });

  it('sends a gap first when the ring no longer holds what the client missed', async () => {
    session.project = await bootWithSystem();
    await fetch(`${session.project!.url}/t/burst?n=1200`, { method: 'POST' });
    const r = await open({ 'last-event-id': '1' });
    await r.until('the ring', () => r.named('trace').length >= 1000);
    // The ring as the feed read it: its last node is this stream's own request.
    const oldest = session.project!.kernel.tracer.oldestSeq;
    expect(oldest).toBeGreaterThan(2);
    expect(r.events[0]).toEqual({ event: 'gap', id: String(oldest - 1), data: { missedFrom: 2, missedTo: oldest - 1 } });
    expect(Number(r.events[1]!.id)).toBe(oldest);
  });

  it('gives a fresh client the last 100 nodes, then live ones', async () => {
    session.project = await bootWithSystem();
    await fetch(`${session.project!.url}/t/burst?n=300`, { method: 'POST' });
    const r = await open();
    // The last node is this stream's own request.
    const last = session.project!.kernel.tracer.lastSeq;
    await r.until('the backlog', () => r.named('trace').some((e) => Number(e.id) === last));
    expect(r.named('trace')[0]!.id).toBe(String(last - 99));
    expect(r.named('trace')).toHaveLength(100);
    await fetch(`${session.project!.url}/t/ping`);
    await r.until('a live ping', () => pings(r).length === 1);
  });

  it('polls only while a client is open', async () => {
    session.project = await bootWithSystem();
    const polls = () => callsOf(session.project!, 'system/traces-stream', 'system', 'traces').count;
    await fetch(`${session.project!.url}/t/ping`);
    await sleep(600);
    expect(polls()).toBe(0);

    const r = await open();
    await sleep(600);
    // One loop, at most every 250 ms (and once more when the client joined).
    expect(polls()).toBeGreaterThanOrEqual(2);
    expect(polls()).toBeLessThanOrEqual(5);
    r.close();
    // The feed learns the client left when sending to it fails: the next node.
    await sleep(50);
    await fetch(`${session.project!.url}/t/ping`);
    await sleep(400);
    expect(callsOf(session.project!, 'system/traces-stream', 'http', 'sendEvent').errors).toBe(1);
    const after = polls();
    await sleep(600);
    expect(polls()).toBe(after);
  });
});
