// The cluster's NATS settings, read alike by every tool that uses the server:
// the bus (this folder), the http tool's stream relay and the system tool's
// trace gathering. The URL may carry credentials (user:password@, a token):
// messages and details get it without them.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { durationMs, mcError, type ToolContext } from '../../kernel/index.ts';
import { redactUrl } from '../db-common/database-url.ts';

const DEFAULT_URL = 'nats://127.0.0.1:4222';
const PREFIX = /^[A-Za-z0-9_-]+$/;
/** Below this the server would hand out events still being handled (a keep-alive is sent every third of it). */
const MIN_ACK_WAIT_MS = 500;
const CONNECT_TIMEOUT_MS = 5_000;

export interface NatsSettings {
  url: string;
  /** The URL for messages: no password or token. */
  shownUrl: string;
  prefix: string;
}

export function natsSettings(env: ToolContext['env']): NatsSettings {
  const url = env.NATS_URL || DEFAULT_URL;
  const prefix = env.NATS_PREFIX || 'microcore';
  if (!PREFIX.test(prefix)) throw mcError('MC_ERR_TOOL_SETUP', `NATS_PREFIX=${prefix} is not one word of letters, digits, - and _`, { setting: 'NATS_PREFIX' }, undefined, 'Set NATS_PREFIX to a name like myapp (it names the streams and subjects), or leave it unset for microcore.');
  return { url, shownUrl: url.split(',').map((u) => redactUrl(u.trim(), true)).join(','), prefix };
}

export function ackWaitMs(env: ToolContext['env']): number {
  const ms = durationMs(env.BUS_NATS_ACK_WAIT_MS, 'BUS_NATS_ACK_WAIT_MS', 30_000, 'MC_ERR_TOOL_SETUP');
  if (ms < MIN_ACK_WAIT_MS) throw mcError('MC_ERR_TOOL_SETUP', `BUS_NATS_ACK_WAIT_MS=${ms} is below ${MIN_ACK_WAIT_MS} ms`, { setting: 'BUS_NATS_ACK_WAIT_MS' }, undefined, `Set it to ${MIN_ACK_WAIT_MS} or more (30000 by default): how long a kernel may hold an event before another gets it.`);
  return ms;
}

/**
 * A connection as every tool here wants it: reconnecting for as long as it takes
 * (a kernel outlives a restart of the server), and without the client's async
 * traces (it would make an Error with a stack per publish and request, for its
 * timeout messages: 14 % of the bus's CPU).
 */
export function connectNats({ url }: NatsSettings, name: string): Promise<NatsConnection> {
  return connect({ servers: url, timeout: CONNECT_TIMEOUT_MS, name, maxReconnectAttempts: -1, noAsyncTraces: true });
}
