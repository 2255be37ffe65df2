// The gateway (every sidecar's and wasm module's tool calls): a version being
// replaced by a hot swap may still call tools, but register no handler.
import { create, toBinary } from '@bufbuild/protobuf';
import { expect, it } from 'vitest';
import { PublishRequestSchema, SubscribeRequestSchema } from '../proto/gen/microcore/v1/bus_pb.js';
import { Gateway, type GatewayCaller } from './gateway.ts';
import { CallMetrics } from './metrics.ts';
import { Registry } from './registry.ts';
import { ToolCaller, type ToolSlot } from './tool-call.ts';

it('refuses a registration (a method naming a handler) from a retired caller, and takes its other calls', async () => {
  const seen: string[] = [];
  const bus: ToolSlot = {
    name: 'bus',
    methods: {
      subscribe: () => (seen.push('subscribe'), { subscriptionId: 's1' }),
      publish: () => (seen.push('publish'), { id: 'e1' }),
    },
  };
  const registry = new Registry();
  registry.add({ kind: 'tool', name: 'bus', source: 'tools/bus', status: 'ready', needs: [] });
  const gateway = new Gateway(new Map([['bus', bus]]), new ToolCaller(new CallMetrics(), registry), { log: () => ({ warn: () => undefined }), messageLimit: 1 << 20 });
  const caller: GatewayCaller = { identity: 'sidecar/old', needs: ['bus'] };
  const subscribe = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { topic: 't.x', handlerId: 'h1' }));
  const publish = toBinary(PublishRequestSchema, create(PublishRequestSchema, { topic: 't.x' }));

  await gateway.call(caller, 'bus', 'Subscribe', subscribe);
  caller.retired = true;
  await expect(gateway.call(caller, 'bus', 'Subscribe', subscribe)).rejects.toMatchObject({ code: 'MC_ERR_PLUGIN_BOOT', message: expect.stringContaining('sidecar/old is being replaced by a new version') });
  await gateway.call(caller, 'bus', 'Publish', publish);
  caller.retired = false;
  await gateway.call(caller, 'bus', 'Subscribe', subscribe);
  expect(seen).toEqual(['subscribe', 'publish', 'subscribe']);
});
