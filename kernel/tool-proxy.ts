// A native plugin's view of a tool: one object per plugin per declared tool,
// with the contract's methods. Inputs are checked against the contract exactly
// as a sidecar's messages are; functions given for handler ids are kept in the
// plugin's handler table and replaced by their ids. Schema objects and topic
// values become the wire's text first (schema-inputs.ts).
import type { DescService } from '@bufbuild/protobuf';
import { mcError } from './errors.ts';
import { normalize } from './normalize.ts';
import { schemaInput } from './schema-inputs.ts';
import type { ToolCaller, ToolSlot } from './tool-call.ts';

/** Where a native plugin's handler functions are kept, by id. */
export interface HandlerTable {
  addHandler(fn: (input: never) => unknown): string;
}

export function createToolProxy(caller: string, service: DescService, tool: ToolSlot, toolCaller: ToolCaller, handlers: HandlerTable): Record<string, (input?: unknown) => Promise<unknown>> {
  const proxy: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const method of service.methods) {
    const where = `${tool.name}.${method.localName}`;
    const takesHandler = method.input.fields.some((f) => f.localName === 'handlerId');
    proxy[method.localName] = async (given: unknown = {}) => {
      const { input, output } = schemaInput(where, caller, given);
      let wire = input;
      if (takesHandler && typeof input === 'object' && input !== null) {
        const { handler, ...rest } = input as { handler?: unknown };
        if (typeof handler !== 'function') throw mcError('MC_ERR_INVALID_ARGUMENT', `${where} input.handler must be a function (native plugins pass the handler itself)`, { field: `${where}.handler` });
        wire = { ...rest, handlerId: handlers.addHandler(handler as never) };
      }
      const out = await toolCaller.call(caller, tool, method, normalize(method.input, wire, `${where} input`));
      return output ? output(out) : out;
    };
  }
  return Object.freeze(proxy);
}
