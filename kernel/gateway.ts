// The gateway: (caller, tool, method, message bytes) -> a call on the caller's
// tool, through the same ToolCaller native proxies use. The sidecar gRPC server
// and the wasm host function both come through here, so a capability check, a
// trace or a metric is the same in every hosting.
import { fromBinary, toBinary, type DescMethod } from '@bufbuild/protobuf';
import { methodOf, serviceOf } from './contract.ts';
import { mcError } from './errors.ts';
import type { KernelLog } from './log.ts';
import { withinLimit } from './message-limit.ts';
import { fromPlain, toPlain } from './plain.ts';
import type { ToolCaller, ToolSlot } from './tool-call.ts';
import type { ToolSettings } from './tool-settings.ts';

export interface GatewayCaller {
  identity: string;
  needs: readonly string[];
  /** Set while a new version of it boots or serves (hot-swap.ts): it may register no handler, which would be taken for the new one's. */
  retired?: boolean;
  /** Its manifest's per-tool settings (`tools`), handed to each tool it calls. */
  settings?: ToolSettings;
}

export class Gateway {
  #tools: ReadonlyMap<string, ToolSlot>;
  #toolCaller: ToolCaller;
  #log: () => Pick<KernelLog, 'warn'>;
  /** MC_MESSAGE_LIMIT_BYTES: the most one message to or from a plugin outside the kernel may hold (message-limit.ts). */
  readonly messageLimit: number;

  /** `log` is read at each use: the kernel's log becomes the logger tool's once that is set up. */
  constructor(tools: ReadonlyMap<string, ToolSlot>, toolCaller: ToolCaller, o: { log: () => Pick<KernelLog, 'warn'>; messageLimit: number }) {
    this.#tools = tools;
    this.#toolCaller = toolCaller;
    this.#log = o.log;
    this.messageLimit = o.messageLimit;
  }

  /** Resolves a tool and method name, or throws the error the caller should get. */
  resolve(caller: GatewayCaller, toolName: string, methodName: string): { tool: ToolSlot; method: DescMethod } {
    const service = serviceOf(toolName);
    const method = service && methodOf(service, methodName);
    if (!method) throw mcError('MC_ERR_GATEWAY_UNKNOWN_METHOD', `${caller.identity} called ${toolName}.${methodName}, which proto/microcore/v1 does not define`, { tool: toolName, method: methodName });
    if (!caller.needs.includes(toolName)) {
      const declared = caller.needs.join(', ') || 'none';
      const error = mcError('MC_ERR_CAP_DENIED', `${caller.identity} called ${toolName}.${method.name} but did not declare '${toolName}' (needs: ${declared})`, { plugin: caller.identity, tool: toolName, method: method.name });
      // The client that triggered the call sees only a 403: the server must see who tried what.
      this.#log().warn(error.message, { code: error.code, identity: caller.identity, tool: toolName, method: method.name, declared });
      this.#toolCaller.refused(caller.identity, toolName, method.localName, error);
      throw error;
    }
    const tool = this.#tools.get(toolName);
    if (!tool) throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${caller.identity} called ${toolName}.${method.name}, but no tool serving '${toolName}' is loaded`, { tool: toolName });
    return { tool, method };
  }

  /** Decodes the request, calls the tool, encodes the response. */
  async call(caller: GatewayCaller, toolName: string, methodName: string, request: Uint8Array): Promise<Uint8Array> {
    const { tool, method } = this.resolve(caller, toolName, methodName);
    // Every registration (an endpoint, a stream, a validator, a subscription) names a handler.
    if (caller.retired && method.input.fields.some((f) => f.name === 'handler_id')) {
      throw mcError('MC_ERR_PLUGIN_BOOT', `${caller.identity} is being replaced by a new version: its previous version cannot call ${toolName}.${method.name}`, { plugin: caller.identity, tool: toolName }, undefined, 'Register handlers in onBoot; the new version registers its own.');
    }
    withinLimit(request, this.messageLimit, `${caller.identity}'s ${toolName}.${method.name} request`, caller.identity);
    let message;
    try {
      message = fromBinary(method.input, request);
    } catch (err) {
      throw mcError('MC_ERR_GATEWAY_BAD_MESSAGE', `${caller.identity} sent ${toolName}.${method.name} bytes that are not a ${method.input.typeName}`, { tool: toolName, method: method.name }, err);
    }
    const output = await this.#toolCaller.call(caller.identity, tool, method, toPlain(method.input, message as never), caller.settings?.[toolName]);
    const result = toBinary(method.output, fromPlain(method.output, output, `${toolName}.${method.name} result`));
    return withinLimit(result, this.messageLimit, `the ${toolName}.${method.name} result for ${caller.identity}`, caller.identity);
  }
}
