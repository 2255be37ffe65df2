// One vocabulary in every language (STYLE.md): every method of every tool the
// contract defines has its wrapper in the Go SDK (`k.Db.Query`) and the Rust SDK
// (`db::query`), named from the proto, casing changed only. The system tool is
// the kernel's introspection for domains/system and is left to the generated clients.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT } from '../kernel/index.ts';
import { REPO } from './project.ts';

const SDK_TOOLS = Object.entries(CONTRACT).filter(([name]) => name !== 'system');

const goSource = readdirSync(join(REPO, 'sdk/go'))
  .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
  .map((f) => readFileSync(join(REPO, 'sdk/go', f), 'utf8'))
  .join('\n');

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

describe('SDK vocabulary', () => {
  for (const [tool, service] of SDK_TOOLS) {
    it(`wraps every ${service.name} method in Go and in Rust`, () => {
      const rust = readFileSync(join(REPO, 'sdk/rust/src', `${tool}.rs`), 'utf8');
      const missing: string[] = [];
      for (const m of service.methods) {
        if (!new RegExp(`func \\(\\w+ \\*${service.name}\\) ${m.name}\\(`).test(goSource)) missing.push(`Go ${service.name}.${m.name}`);
        if (!new RegExp(`pub fn ${snake(m.name)}\\b`).test(rust)) missing.push(`Rust ${tool}::${snake(m.name)}`);
      }
      expect(missing).toEqual([]);
    });
  }
});
