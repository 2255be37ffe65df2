// What the conformance runner reads side effects from, installed in its temp
// project: a logger tool that keeps every line it is given (then logs it as
// the real one does), and a native plugin that records every event delivered
// on the cases' topics and answers their requests.
import PinoLogger from '../../tools/logger/tool.ts';
import type { CallContext, Plain, Tools } from '../../kernel/index.ts';
import type { LogRequest } from '../../proto/gen/microcore/v1/logger_pb.js';

export interface LogLine {
  caller: string;
  traceId: string;
  request: Plain<LogRequest>;
}

export class RecordingLogger extends PinoLogger {
  readonly lines: LogLine[] = [];

  override log(input: Plain<LogRequest>, call: CallContext) {
    this.lines.push({ caller: call.caller, traceId: call.traceId, request: input });
    return super.log(input, call);
  }
}

/** Topics the recorder listens on: conf.events.<hosting> for each probe name. */
export const RECORDED_HOSTINGS = ['ts', 'go', 'gowasm', 'rust', 'rustsc', 'wrong'];

export const recorded: Record<string, unknown>[] = [];

export class EventRecorderPlugin {
  #bus: Tools['bus'];

  constructor({ bus }: Tools) {
    this.#bus = bus;
  }

  async onBoot(): Promise<void> {
    for (const h of RECORDED_HOSTINGS) {
      await this.#bus.subscribe({ topic: `conf.events.${h}`, handler: (event) => void recorded.push(event as unknown as Record<string, unknown>) });
      // Answers with the payload, on a topic each hosting's probe declares as its own.
      await this.#bus.subscribe({ topic: `conf.reply.${h}`, handler: (event) => event.payload });
    }
    // A topic another plugin owns, for the probes to fail to declare.
    await this.#bus.declareTopic({ topic: 'conf.owned', payloadSchemaJson: '', replySchemaJson: '', summary: 'Owned by the recorder.' });
    // What the cases' Bus.Request calls reach: an answer echoing the payload, and one too slow for a short timeout.
    await this.#bus.subscribe({ topic: 'conf.echo', handler: (event) => event.payload });
    await this.#bus.subscribe({ topic: 'conf.slow', handler: async (event) => (await new Promise((r) => setTimeout(r, 300)), event.payload) });
  }
}
