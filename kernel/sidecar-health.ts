// The gRPC health check every sidecar passes before the kernel calls it
// (service 'plugin', SERVING), and the unary call helper both it and the host
// use. A sidecar attached by address may not be listening yet when the kernel
// boots, so the check can be retried for a failure its caller deems worth it.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, Health } from '../proto/gen/grpc/health/v1/health_pb.js';
import { typedDefinition } from './grpc-service.ts';

const HealthClient = grpc.makeGenericClientConstructor(typedDefinition(Health), 'Health');
const RETRY_MS = 200;

/**
 * Resolves once `target` answers SERVING, within `timeoutMs`. A failure for
 * which `retry(err)` is true is tried again every 200 ms while time is left;
 * any other failure, or the last, rejects with the gRPC error.
 */
export async function checkHealth(target: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions, timeoutMs: number, retry: (err: unknown) => boolean = () => false): Promise<void> {
  const health = new HealthClient(target, credentials, options);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        const res = await unary<{ status: number }>(health, 'check', create(HealthCheckRequestSchema, { service: 'plugin' }), new grpc.Metadata(), Math.max(deadline - Date.now(), 1));
        if (res.status === HealthCheckResponse_ServingStatus.SERVING) return;
        throw new Error(`health status ${HealthCheckResponse_ServingStatus[res.status]}`);
      } catch (err) {
        if (!retry(err) || Date.now() + RETRY_MS >= deadline) throw err;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  } finally {
    health.close();
  }
}

export function unary<T>(client: grpc.Client, method: string, request: unknown, metadata: grpc.Metadata, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method]!;
    fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}
