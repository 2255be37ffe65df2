import { describe, expect, it } from 'vitest';
import { broadcastConsumer, groupConsumer, requestSubject, streamOf, subjectOf } from './streams.ts';

const l = { prefix: 'app', ackWaitMs: 1000 };

describe('where the NATS bus keeps events', () => {
  it('puts events, dead letters and requests on subjects of their own under the prefix', () => {
    expect([streamOf(l, 'order.created'), subjectOf(l, 'order.created')]).toEqual(['app_events', 'app.ev.order.created']);
    expect([streamOf(l, '_dlq.order.created'), subjectOf(l, '_dlq.order.created')]).toEqual(['app_dlq', 'app.dlq.order.created']);
    // A dead letter of a dead letter stays a dead letter, under its full name.
    expect(subjectOf(l, '_dlq._dlq.a')).toBe('app.dlq._dlq.a');
    expect(requestSubject(l, 'price.get')).toBe('app.rq.price.get');
  });

  it('names a group consumer by topic and group, with no character a durable name refuses', () => {
    const a = groupConsumer(l, 'job.run', 'audit/log');
    expect(a.durable_name).toMatch(/^g_[0-9a-f]{24}$/);
    expect(groupConsumer(l, 'job.run', 'audit/log').durable_name).toBe(a.durable_name);
    expect(groupConsumer(l, 'job.run', 'audit/other').durable_name).not.toBe(a.durable_name);
    expect(groupConsumer(l, 'job.runa', 'udit/log').durable_name).not.toBe(a.durable_name);
    expect(a).toMatchObject({ filter_subject: 'app.ev.job.run', max_deliver: -1, ack_wait: 1_000_000_000 });
    expect(broadcastConsumer(l, 'job.run')).not.toHaveProperty('durable_name');
  });
});
