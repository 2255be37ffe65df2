// A native plugin's view of a tool: one object per plugin per declared tool,
// with the contract's methods. Inputs are checked against the contract exactly
// as a sidecar's messages are; functions given for handler ids are kept in the
// plugin's handler table and replaced by their ids. Schema objects and topic
// values become the wire's text first (schema-inputs.ts).
//
// Everything that depends only on the method (its checks, its call site, the
// text that names it in errors) is resolved here, once, not on every call.
import type { DescService } from '@bufbuild/protobuf';
import { mcError } from './errors.ts';
import { normalizer } from './normalize.ts';
import { schemaInput, takesSchemas } from './schema-inputs.ts';
import type { ToolCaller, ToolSlot } from './tool-call.ts';

/** Where a native plugin's handler functions are kept, by id. */
export interface HandlerTable {
  addHandler(fn: (input: never) => unknown): string;
}

/** `settings`: the plugin's settings for this tool (its static `tools`), handed to the tool with each call. */
export function createToolProxy(caller: string, service: DescService, tool: ToolSlot, toolCaller: ToolCaller, handlers: HandlerTable, settings?: Readonly<Record<string, unknown>>): Record<string, (input?: unknown) => Promise<unknown>> {
  const proxy: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const method of service.methods) {
    const site = toolCaller.site(caller, tool, method, settings);
    const where = site.where;
    const inputWhere = `${where} input`;
    const check = normalizer(method.input);
    const takesHandler = method.input.fields.some((f) => f.localName === 'handlerId');
    const shapes = takesSchemas(where);
    proxy[method.localName] = (given: unknown = {}) => {
      let checked;
      let output;
      try {
        let wire = given;
        if (shapes) {
          const shaped = schemaInput(where, caller, given);
          output = shaped.output;
          wire = shaped.input;
        }
        if (takesHandler && typeof wire === 'object' && wire !== null) {
          const { handler, ...rest } = wire as { handler?: unknown };
          if (typeof handler !== 'function') throw mcError('MC_ERR_INVALID_ARGUMENT', `${where} input.handler must be a function (native plugins pass the handler itself)`, { field: `${where}.handler` });
          wire = { ...rest, handlerId: handlers.addHandler(handler as never) };
        }
        checked = check(wire, inputWhere);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      const out = toolCaller.callAt(site, checked);
      return output ? out.then(output) : out;
    };
  }
  return Object.freeze(proxy);
}
