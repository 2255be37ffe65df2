// The logger tool (pino): JSON lines on stdout, one child per identity, each
// line tagged with the caller and the trace id. LOG_LEVEL sets the threshold
// (debug, info, warn, error, silent; default info).
import pino, { type Logger as Pino } from 'pino';
import type { CallContext, KernelLog, Plain, ToolContext, ToolMethods } from '../../kernel/index.ts';
import { LogLevel, type LogRequest } from '../../proto/gen/microcore/v1/logger_pb.js';

const LEVELS: Record<number, 'debug' | 'info' | 'warn' | 'error'> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

export default class PinoLogger implements ToolMethods<'logger'> {
  static readonly contract = 'logger';
  #root: Pino = pino({ level: 'info' });
  #children = new Map<string, Pino>();

  setup(ctx: ToolContext): void {
    this.#root = pino({ level: ctx.env.LOG_LEVEL || 'info', base: undefined, formatters: { level: (label) => ({ level: label }) } });
  }

  log(input: Plain<LogRequest>, call: CallContext) {
    const level = LEVELS[input.level] ?? 'info';
    this.#child(call.caller)[level]({ ...jsonSafe(input.fields), traceId: call.traceId }, input.message);
    return {};
  }

  /** The kernel's and the tools' own logs (LogSource in kernel/log.ts). */
  child(identity: string): KernelLog {
    const log = this.#child(identity);
    const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => log[level](jsonSafe(fields ?? {}), message);
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  #child(identity: string): Pino {
    let child = this.#children.get(identity);
    if (!child) this.#children.set(identity, (child = this.#root.child({ identity })));
    return child;
  }

  shutdown(): void {
    this.#root.flush();
  }
}

/** pino cannot serialize bigint or bytes; render them as JSON can. */
function jsonSafe(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
  return out;
}
