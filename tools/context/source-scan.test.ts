import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanNativePlugin } from './source-scan.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('scanNativePlugin', () => {
  // Issue 10: plugins publish and request with topic values, not only literals.
  it('reads a topic value, imported from the domain or defined in the file, as its topic', () => {
    root = mkdtempSync(join(tmpdir(), 'mc-scan-'));
    mkdirSync(join(root, 'plugins'));
    writeFileSync(join(root, 'topics.ts'), "export const Placed = topic('shop.placed', { payload: Type.Object({}) });\nexport const Ask = topic(\"stock.ask\");\n");
    writeFileSync(
      join(root, 'plugins/p.ts'),
      [
        "import { Placed, Ask as Check } from '../topics.ts';",
        "const Local = topic('shop.local');",
        'export class P {',
        '  async go(bus: any, name: string) {',
        "    await bus.publish({ topic: Placed, payload: {} });",
        "    await bus.publish({ topic: Local, payload: {} });",
        "    await bus.publish({ topic: 'shop.literal', payload: {} });",
        '    await bus.publish({ topic: name, payload: {} });',
        "    await bus.request({ topic: Check, payload: {} });",
        '  }',
        '}',
      ].join('\n'),
    );
    expect(scanNativePlugin(join(root, 'plugins/p.ts'))).toEqual({ publishes: ['shop.literal', 'shop.local', 'shop.placed'], requests: ['stock.ask'] });
  });
});
