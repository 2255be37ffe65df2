// The config tool: the project's .env under the process environment (the kernel
// merges them; the environment wins). Read-only; `require` fails fast naming
// every missing key.
import { mcError, type CallContext, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { ConfigGetRequest, ConfigRequireRequest } from '../../proto/gen/microcore/v1/config_pb.js';

export default class EnvConfig implements ToolMethods<'config'> {
  static readonly contract = 'config';
  #env: Readonly<Record<string, string | undefined>> = {};

  setup(ctx: ToolContext): void {
    this.#env = ctx.env;
  }

  get(input: Plain<ConfigGetRequest>) {
    const value = this.#env[input.key];
    if (value !== undefined) return { found: true, value };
    if (input.defaultValue !== undefined) return { found: true, value: input.defaultValue };
    return { found: false, value: '' };
  }

  require(input: Plain<ConfigRequireRequest>, call: CallContext) {
    const missing = input.keys.filter((k) => !this.#env[k]);
    if (missing.length) throw mcError('MC_ERR_CONFIG_MISSING', `${call.caller} requires ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not set`, { keys: missing.join(',') });
    return { values: input.keys.map((k) => this.#env[k]!) };
  }
}
