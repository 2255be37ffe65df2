// The logger tool (pino): JSON lines on stdout, one child per identity, each
// line tagged with the caller and the trace id. LOG_LEVEL sets the threshold
// (debug, info, warn, error, silent; default info). Each line written is also
// kept in the kernel's log ring (ctx.logs), for /system/logs/stream: a line the
// threshold drops is neither written nor kept.
import pino, { type Logger as Pino } from 'pino';
import { currentTrace, type CallContext, type KernelLog, type LogRing, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
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
  #ring?: LogRing;

  setup(ctx: ToolContext): void {
    this.#ring = ctx.logs;
    this.#root = pino({ level: ctx.env.LOG_LEVEL || 'info', base: undefined, formatters: { level: (label) => ({ level: label }) } });
  }

  log(input: Plain<LogRequest>, call: CallContext) {
    const level = LEVELS[input.level] ?? 'info';
    const log = this.#child(call.caller);
    const fields = jsonSafe(input.fields);
    log[level]({ ...fields, traceId: call.traceId }, input.message);
    if (this.#ring && log.isLevelEnabled(level)) this.#ring.add(level, call.caller, input.message, fields, call.traceId);
    return {};
  }

  /** The kernel's and the tools' own logs (LogSource in kernel/log.ts). */
  child(identity: string): KernelLog {
    const log = this.#child(identity);
    const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
      const safe = jsonSafe(fields ?? {});
      log[level](safe, message);
      if (this.#ring && log.isLevelEnabled(level)) this.#ring.add(level, identity, message, safe, currentTrace()?.traceId ?? '');
    };
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
