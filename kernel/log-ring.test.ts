import { describe, expect, it } from 'vitest';
import { LogRing } from './log-ring.ts';
import { CallMetrics } from './metrics.ts';
import { Tracer } from './tracer.ts';

describe('the rings number their entries for a live view to resume from', () => {
  it('log ring: seq from 1, newest first, after a seq, by level, the oldest kept once it wraps', () => {
    const ring = new LogRing();
    expect([ring.lastSeq, ring.list()]).toEqual([0, []]);
    for (let i = 0; i < 1005; i++) ring.add(i % 2 ? 'warn' : 'info', 'a/b', `m${i}`, { i }, '');
    expect(ring.lastSeq).toBe(1005);
    expect(ring.oldestSeq).toBe(6);
    expect(ring.list()).toHaveLength(1000);
    expect(ring.list(1002).map((l) => l.seq)).toEqual([1005, 1004, 1003]);
    expect(ring.list(1000, 0, 'warn').map((l) => l.level)).toEqual(['warn', 'warn']);
    expect(ring.list(0, 2).map((l) => l.message)).toEqual(['m1004', 'm1003']);
  });

  it('tracer: each node its seq; list after a seq and at most a limit', () => {
    const tracer = new Tracer();
    for (let i = 0; i < 1003; i++) tracer.record({ id: `n${i}`, parentId: '', traceId: 't', kind: 'event', name: 'x', source: 'a/b', payloadKeys: [] });
    expect([tracer.oldestSeq, tracer.lastSeq]).toEqual([4, 1003]);
    expect(tracer.list(undefined, 1001).map((n) => [n.seq, n.id])).toEqual([[1003, 'n1002'], [1002, 'n1001']]);
    expect(tracer.list(undefined, 0, 1).map((n) => n.seq)).toEqual([1003]);
  });

  it('metrics: a call’s seq follows from its place in the ring', () => {
    const metrics = new CallMetrics();
    const t = metrics.totalsFor('a/b', 'db', 'query');
    for (let i = 0; i < 1002; i++) metrics.add(t, i, undefined, 't', undefined, i);
    expect([metrics.oldestSeq, metrics.lastSeq]).toEqual([3, 1002]);
    expect(metrics.recent(1000).map((c) => [c.seq, c.ms])).toEqual([[1002, 1001], [1001, 1000]]);
    expect(metrics.recent(0, 2).map((c) => c.seq)).toEqual([1002, 1001]);
    expect(metrics.recent(5000)).toEqual([]);
  });
});
