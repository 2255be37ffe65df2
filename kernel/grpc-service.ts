// grpc-js service definitions built from protobuf-es descriptors (protobuf-es
// generates no RPC stubs). One definition serves both addService and
// makeGenericClientConstructor.
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from '@bufbuild/protobuf';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** Messages in and out as protobuf-es messages. */
export function typedDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const m of service.methods) {
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: (msg: MessageShape<DescMessage>) => Buffer.from(toBinary(m.input, msg)),
      requestDeserialize: (buf: Buffer) => fromBinary(m.input, buf),
      responseSerialize: (msg: MessageShape<DescMessage>) => Buffer.from(toBinary(m.output, msg)),
      responseDeserialize: (buf: Buffer) => fromBinary(m.output, buf),
      originalName: m.localName,
    };
  }
  return def as ServiceDefinition;
}

/** Messages in and out as bytes: the gateway decodes them itself. */
export function rawDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  const same = (buf: Buffer) => buf;
  for (const m of service.methods) {
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (bytes: Uint8Array) => Buffer.from(bytes),
      requestDeserialize: same,
      responseSerialize: (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      responseDeserialize: same,
      originalName: m.localName,
    };
  }
  return def as ServiceDefinition;
}
