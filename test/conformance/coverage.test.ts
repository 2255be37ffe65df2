// Coverage is checked, not promised: every method of every tool service in
// proto/microcore/v1 (System excluded by name: kernel introspection, served to
// plugins over HTTP) has a case file with at least one case.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CONTRACT } from '../../kernel/index.ts';
import { CASES_DIR, readCaseFiles } from './case-file.ts';

const EXCLUDED = ['system'];

it('has a case for every tool method of the contract', () => {
  const lacking: string[] = [];
  for (const [tool, service] of Object.entries(CONTRACT)) {
    if (EXCLUDED.includes(tool)) continue;
    for (const m of service.methods) {
      const file = join(CASES_DIR, `${tool}.${m.name}.json`);
      if (!existsSync(file)) lacking.push(`${tool}.${m.name} (add ${file})`);
    }
  }
  expect(lacking).toEqual([]);
  for (const f of readCaseFiles()) expect(f.cases.length, `${f.file} has no case`).toBeGreaterThan(0);
});

it('names only methods of the contract', () => {
  for (const f of readCaseFiles()) {
    const service = CONTRACT[f.tool as keyof typeof CONTRACT];
    expect(service?.methods.some((m) => m.name === f.method), `${f.file}: ${f.tool}.${f.method} is not in proto/microcore/v1`).toBe(true);
  }
});
