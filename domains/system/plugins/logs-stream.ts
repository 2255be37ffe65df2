// GET /system/logs/stream: log lines of every identity (the kernel, tools,
// plugins) as they are written, as server-sent events (`event: log`, `id:` the
// line's seq, data {seq, atUnixMs, level, source, message, fields, traceId}).
// ?level=warn sends only warn and error lines (debug, info, warn, error).
// Only what LOG_LEVEL lets through is written, hence kept. Last-Event-ID
// resumes (see ../live-feed.ts).
import { LOG_LEVELS, mcError, type LogLevelName, type Plain, type Tools } from '../../../kernel/index.ts';
import type { LogLine } from '../../../proto/gen/microcore/v1/system_pb.js';
import { LiveFeed } from '../live-feed.ts';

type Line = Plain<LogLine>;

export class SystemLogsStreamPlugin {
  #http: Tools['http'];
  readonly feed: LiveFeed<Line>;

  constructor({ http, system, logger }: Tools) {
    this.#http = http;
    this.feed = new LiveFeed(
      { http, logger },
      {
        event: 'log',
        read: async (afterSeq, limit) => {
          const r = await system.logs({ afterSeq: BigInt(afterSeq), limit, level: '' });
          return { entries: r.lines.reverse(), oldestSeq: Number(r.oldestSeq), lastSeq: Number(r.lastSeq) };
        },
      },
    );
  }

  async onBoot(): Promise<void> {
    await this.#http.addStream({
      path: '/system/logs/stream',
      summary: 'Log lines as they are written (server-sent events); ?level=warn for warn and above',
      tags: ['system'],
      handler: (req) => {
        const level = req.query.level ?? '';
        if (level && !LOG_LEVELS.includes(level as LogLevelName)) throw mcError('MC_ERR_INVALID_ARGUMENT', `GET /system/logs/stream?level=${level}: no such level`, { level }, undefined, `Use one of ${LOG_LEVELS.join(', ')}, or leave level out for every line.`);
        const floor = LOG_LEVELS.indexOf((level || 'debug') as LogLevelName);
        this.feed.open(req, (l) => LOG_LEVELS.indexOf(l.level as LogLevelName) >= floor);
      },
    });
  }

  onShutdown(): void {
    this.feed.stop();
  }
}
