// Server-sent events across kernels (real nats-server, two real kernels, real
// HTTP): a plugin on one kernel sends to a client connected to another, values
// written as locally (an int64 exact), and refusals come back across: a stream
// that is gone, a stream that belongs to another plugin.
import { afterEach, expect, it } from 'vitest';
import { servicesFromEnv, natsPrefix } from '../../test/services.ts';
import { bootProject, plugin, type TestProject } from '../../test/project.ts';

const kernels: TestProject[] = [];
afterEach(async () => {
  await Promise.all(kernels.splice(0).map((k) => k.stop()));
  delete (globalThis as { __streams?: unknown }).__streams;
});

const FEED = {
  'domains/feed/plugins/feed.ts': plugin(`
    export class FeedPlugin {
      constructor({ http }) { this.http = http; }
      async onBoot() {
        await this.http.addStream({ path: '/feed', handler: async (req) => { (globalThis.__streams ??= []).push(req.streamId); } });
        await this.http.addEndpoint({ method: 'POST', path: '/feed/:stream', handler: async (req) => {
          try {
            await this.http.sendEvent({ streamId: req.params.stream, event: 'note', id: '7', data: { text: req.body.text, big: 9007199254740993n } });
            return { sent: true };
          } catch (err) { return { sent: false, code: err.code }; }
        } });
      }
    }`),
  'domains/other/plugins/intruder.ts': plugin(`
    export class IntruderPlugin {
      constructor({ http }) { this.http = http; }
      async onBoot() {
        await this.http.addEndpoint({ method: 'POST', path: '/intrude/:stream', handler: async (req) => {
          try { await this.http.sendEvent({ streamId: req.params.stream, data: 'x' }); return { sent: true }; } catch (err) { return { sent: false, code: err.code }; }
        } });
      }
    }`),
};

async function kernel(prefix: string): Promise<TestProject> {
  const k = await bootProject(FEED, { tools: ['logger', 'http', 'config'], env: { BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: prefix } });
  kernels.push(k);
  for (const item of k.report) expect(item.status, `${item.name}: ${item.reason}`).toBe('ready');
  return k;
}

const post = async (url: string, body: object): Promise<{ sent: boolean; code?: string }> => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as never;

it('delivers an event from a plugin on one kernel to a client connected to another', async () => {
  const prefix = natsPrefix();
  const [a, b] = [await kernel(prefix), await kernel(prefix)];
  const controller = new AbortController();
  const res = await fetch(`${a.url}/feed`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const streams = (globalThis as { __streams?: string[] }).__streams!;
  await expect.poll(() => streams.length).toBe(1);
  const streamId = streams[0]!;

  expect(await post(`${b.url}/feed/${streamId}`, { text: 'from b' })).toEqual({ sent: true });
  let text = '';
  while (!text.includes('\n\ndata') && !text.endsWith('}\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  expect(text).toContain('id: 7\nevent: note\ndata: {"text":"from b","big":9007199254740993}\n\n');

  // Another plugin's stream is refused across kernels as it is locally.
  expect(await post(`${b.url}/intrude/${streamId}`, {})).toEqual({ sent: false, code: 'MC_ERR_INVALID_ARGUMENT' });

  controller.abort();
  // Once the holder sees the client go: refused as closed, each answer at once
  // (the relay drains, so an event sent while the stream closes is answered too, not left to time out).
  const started = Date.now();
  await expect.poll(async () => (await post(`${b.url}/feed/${streamId}`, { text: 'late' })).code, { timeout: 3000 }).toBe('MC_ERR_HTTP_STREAM_CLOSED');
  expect(Date.now() - started).toBeLessThan(3000);
});

it('does not reach a stream of another app on the same server (another prefix)', async () => {
  const a = await kernel(natsPrefix());
  const b = await kernel(natsPrefix());
  const controller = new AbortController();
  await fetch(`${a.url}/feed`, { signal: controller.signal });
  const streams = (globalThis as { __streams?: string[] }).__streams!;
  await expect.poll(() => streams.length).toBe(1);
  expect(await post(`${b.url}/feed/${streams[0]}`, { text: 'x' })).toEqual({ sent: false, code: 'MC_ERR_HTTP_STREAM_CLOSED' });
  controller.abort();
});
