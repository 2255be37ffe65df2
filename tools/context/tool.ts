// The context tool (kernel-facing: plugins cannot inject it) writes AI_CONTEXT.md
// once every plugin has booted, from the live registry, route and subscription
// tables plus what the sources and migrations say, and again when a plugin is
// swapped in or out while the kernel runs (`microcore dev`). AI_CONTEXT_PATH
// moves the file (a path relative to the project root; "off" writes nothing).
import { writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CONTRACT, type ToolContext } from '../../kernel/index.ts';
import { isPostgresUrl } from '../db-common/database-url.ts';
import { readProtoDocs } from './proto-docs.ts';
import { renderContext } from './render.ts';
import { scanNativePlugin, scanPluginFolder, type TopicUse } from './source-scan.ts';
import { readTables } from './tables.ts';

const PROTO_DIR = join(import.meta.dirname, '..', '..', 'proto', 'microcore', 'v1');
// Changes come in bursts (a swap removes and adds): one write once they settle.
const SETTLE_MS = 300;

export default class ContextWriter {
  static readonly contract = 'context';
  #ctx?: ToolContext;
  #again?: NodeJS.Timeout;

  setup(ctx: ToolContext): void {
    this.#ctx = ctx;
  }

  onBootComplete(): void {
    const ctx = this.#ctx!;
    const target = ctx.env.AI_CONTEXT_PATH || 'AI_CONTEXT.md';
    if (target === 'off') return;
    const path = isAbsolute(target) ? target : join(ctx.root, target);
    const write = () => {
      writeFileSync(path, this.render());
      ctx.log.info(`wrote ${target}`);
    };
    write();
    ctx.routes.onChange(() => {
      clearTimeout(this.#again);
      this.#again = setTimeout(write, SETTLE_MS).unref();
    });
  }

  shutdown(): void {
    clearTimeout(this.#again);
  }

  /** The document for the kernel's current state. */
  render(): string {
    const ctx = this.#ctx!;
    // Reasons may quote absolute paths; the document must not depend on where the tree is.
    const report = ctx.report().map((i) => ({ ...i, reason: i.reason?.split(ctx.root + '/').join('') }));
    const topics = new Map<string, TopicUse>();
    for (const p of report) {
      if (p.kind === 'native') topics.set(p.name, scanNativePlugin(join(ctx.root, p.source)));
      else if (p.kind === 'sidecar' || p.kind === 'wasm') topics.set(p.name, scanPluginFolder(join(ctx.root, p.source, '..')));
    }
    return renderContext({
      report,
      services: CONTRACT,
      docs: readProtoDocs(PROTO_DIR),
      routes: ctx.routes.list(),
      subscriptions: ctx.subscriptions.list(),
      declarations: ctx.subscriptions.declarations(),
      topics,
      tables: readTables(ctx.root, ctx.migrations, isPostgresUrl(ctx.env.DATABASE_URL) ? 'postgres' : 'sqlite'),
    });
  }
}
