// Issue 7, item 11: every duration is checked in one place; one past a timer's
// range (2^31 − 1 ms) used to fire after ~1 ms.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { durationMs, MAX_DURATION_MS } from './durations.ts';
import { readSidecarManifest, readWasmManifest } from './manifest.ts';
import { testTools } from './testing.ts';

describe('durations', () => {
  it('takes whole milliseconds up to 2^31 − 1 and refuses the rest, naming where', () => {
    expect(durationMs(undefined, 'X_MS', 7)).toBe(7);
    expect(durationMs('', 'X_MS', 7)).toBe(7);
    expect(durationMs('250', 'X_MS', 7)).toBe(250);
    expect(durationMs(2n ** 31n - 1n, 'X_MS', 7)).toBe(MAX_DURATION_MS);
    for (const bad of [2 ** 31, '3000000000', -1, 1.5, 'soon', Number.NaN]) {
      expect(() => durationMs(bad, 'X_MS', 7), String(bad)).toThrow(/MC_ERR_INVALID_ARGUMENT: X_MS is .*a duration is a whole number of milliseconds from 0 to 2147483647/);
    }
  });

  it('refuses a bus.request timeoutMs past 2^31 − 1 instead of timing out at once', async () => {
    const t = await testTools();
    try {
      await t.tools.bus.subscribe({ topic: 'slow.answer', handler: () => new Promise((ok) => setTimeout(() => ok('late'), 50)) });
      await expect(t.tools.bus.request({ topic: 'slow.answer', timeoutMs: 2n ** 31n })).rejects.toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: expect.stringContaining('timeoutMs') } });
      await expect(t.tools.bus.request({ topic: 'slow.answer', timeoutMs: 2n ** 31n - 1n })).resolves.toEqual({ payload: 'late' });
    } finally {
      await t.close();
    }
  });

  it('refuses a manifest duration past a timer, naming the file and field', () => {
    const root = mkdtempSync(join(tmpdir(), 'mc-durations-'));
    try {
      mkdirSync(join(root, 'sidecars/s'), { recursive: true });
      writeFileSync(join(root, 'sidecars/s/sidecar.json'), JSON.stringify({ name: 's', command: 'bin/s', callTimeoutMs: 3_000_000_000 }));
      expect(() => readSidecarManifest(root, 'sidecars/s/sidecar.json', 's')).toThrow(/MC_ERR_MANIFEST_INVALID: sidecars\/s\/sidecar.json field 'callTimeoutMs' is 3000000000/);
      mkdirSync(join(root, 'wasm-plugins/w'), { recursive: true });
      writeFileSync(join(root, 'wasm-plugins/w/plugin.json'), JSON.stringify({ name: 'w', module: 'w.wasm', limits: { timeoutMs: 2 ** 40 } }));
      expect(() => readWasmManifest(root, 'wasm-plugins/w/plugin.json', 'w')).toThrow(/MC_ERR_MANIFEST_INVALID: .*field 'timeoutMs'/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
