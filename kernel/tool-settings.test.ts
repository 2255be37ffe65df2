// Per-plugin tool settings (kernel/tool-settings.ts): checked in manifests and
// native declarations, handed to the tool with each call in every path (a
// native proxy, the gateway for sidecars and wasm modules).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bootProject, plugin, type TestProject } from '../test/project.ts';
import { CONTRACT } from './contract.ts';
import { Gateway } from './gateway.ts';
import { readSidecarManifest, readWasmManifest } from './manifest.ts';
import { CallMetrics } from './metrics.ts';
import { Registry } from './registry.ts';
import { ToolCaller, type ToolSlot } from './tool-call.ts';
import { checkToolSettings } from './tool-settings.ts';

const root = mkdtempSync(join(tmpdir(), 'mc-tool-settings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(file: string, manifest: Record<string, unknown>): void {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), JSON.stringify(manifest));
}

describe('checkToolSettings', () => {
  const check = (raw: unknown, needs = ['state']) => checkToolSettings(raw, 'x.json field \'tools\'', needs, 'MC_ERR_MANIFEST_INVALID', { file: 'x.json' });

  it('none: an empty object', () => {
    expect(check(undefined)).toEqual({});
  });

  it('keeps a copy, frozen all the way down', () => {
    const raw = { state: { allow: ['a'] } };
    const got = check(raw);
    expect(got).toEqual(raw);
    raw.state.allow.push('b');
    expect(got.state!.allow).toEqual(['a']);
    expect(Object.isFrozen(got.state!.allow)).toBe(true);
  });

  it.each([
    [['state'], 'must be an object of per-tool settings'],
    [{ fetch: {} }, "has settings for tool 'fetch', which it does not need (needs: state)"],
    [{ state: ['a'] }, "has settings for tool 'state' that are not an object: an array"],
    [{ state: 'a' }, "has settings for tool 'state' that are not an object: \"a\""],
  ])('refuses %j, naming where', (raw, why) => {
    expect(() => check(raw)).toThrow(expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining(`x.json field 'tools' ${why}`) }));
  });
});

describe('manifests: tools', () => {
  it('sidecar.json and plugin.json read it, keyed by tools in needs', () => {
    write('sidecars/s/sidecar.json', { name: 's', command: 'bin/s', needs: ['state'], tools: { state: { allow: ['h'] } } });
    expect(readSidecarManifest(root, 'sidecars/s/sidecar.json', 's').tools).toEqual({ state: { allow: ['h'] } });
    write('wasm-plugins/w/plugin.json', { name: 'w', module: 'w.wasm', needs: ['state'], tools: { state: { n: 1 } } });
    expect(readWasmManifest(root, 'wasm-plugins/w/plugin.json', 'w').tools).toEqual({ state: { n: 1 } });
    write('sidecars/s/sidecar.json', { name: 's', command: 'bin/s' });
    expect(readSidecarManifest(root, 'sidecars/s/sidecar.json', 's').tools).toEqual({});
  });

  it('refuses settings of a tool not needed, or not an object, naming the file', () => {
    write('sidecars/s/sidecar.json', { name: 's', command: 'bin/s', needs: ['db'], tools: { fetch: { allow: [] } } });
    expect(() => readSidecarManifest(root, 'sidecars/s/sidecar.json', 's')).toThrow(
      expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining("sidecars/s/sidecar.json field 'tools' has settings for tool 'fetch', which it does not need (needs: db)") }),
    );
    write('wasm-plugins/w/plugin.json', { name: 'w', module: 'w.wasm', needs: ['db'], tools: [] });
    expect(() => readWasmManifest(root, 'wasm-plugins/w/plugin.json', 'w')).toThrow(expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining("wasm-plugins/w/plugin.json field 'tools'") }));
  });
});

describe('the call context carries them', () => {
  const get = CONTRACT.state.methods.find((m) => m.localName === 'get')!;
  const seen: unknown[] = [];
  const slot: ToolSlot = { name: 'state', methods: { get: (_input, call) => (seen.push(call.settings), { found: false }) } };
  const registry = new Registry();
  registry.add({ kind: 'tool', name: 'state', source: 'tools/fake', status: 'ready', needs: [] });

  it('through the gateway: the caller\'s settings for the tool called, undefined without', async () => {
    const caller = new ToolCaller(new CallMetrics(), registry);
    const gateway = new Gateway(new Map([['state', slot]]), caller, { log: () => ({ warn: () => {} }), messageLimit: 1 << 20 });
    const bytes = new Uint8Array();
    seen.length = 0;
    await gateway.call({ identity: 'sidecar/a', needs: ['state'], settings: { state: { allow: ['x'] } } }, 'state', 'Get', bytes);
    await gateway.call({ identity: 'sidecar/b', needs: ['state'] }, 'state', 'Get', bytes);
    // A new version of sidecar/a with other settings: not the cached ones.
    await gateway.call({ identity: 'sidecar/a', needs: ['state'], settings: { state: { allow: ['y'] } } }, 'state', 'Get', bytes);
    expect(seen).toEqual([{ allow: ['x'] }, undefined, { allow: ['y'] }]);
  });
});

describe('a native plugin: static tools', () => {
  let project: TestProject | undefined;
  afterEach(async () => {
    await project?.stop();
    project = undefined;
  });
  // A state tool that answers with the settings it was handed.
  const tool = `export default class SettingsState {
    static contract = 'state';
    get(_input, call) { return { found: call.settings !== undefined, value: JSON.stringify(call.settings ?? null) }; }
    set() { return {}; }
    delete() { return { deleted: false }; }
  }\n`;

  it('reaches the tool with each call; a plugin without gets none', async () => {
    project = await bootProject(
      {
        'tools/settings-state/tool.ts': tool,
        'domains/a/plugins/with.ts': plugin(`export class WithPlugin {
          static tools = { state: { allow: ['api.example.org'] } };
          constructor({ state }) { this.state = state; }
          async onBoot() { globalThis.__settingsWith = await this.state.get({ key: 'k' }); }
        }`),
        'domains/a/plugins/without.ts': plugin(`export class WithoutPlugin {
          constructor({ state }) { this.state = state; }
          async onBoot() { globalThis.__settingsWithout = await this.state.get({ key: 'k' }); }
        }`),
      },
      { tools: ['logger'] },
    );
    expect(project.item('a/with')!.status).toBe('ready');
    const g = globalThis as { __settingsWith?: unknown; __settingsWithout?: unknown };
    expect(g.__settingsWith).toEqual({ found: true, value: '{"allow":["api.example.org"]}' });
    expect(g.__settingsWithout).toEqual({ found: false, value: 'null' });
  });

  it('refuses settings for a tool the constructor does not take, failing that plugin alone', async () => {
    project = await bootProject(
      {
        'domains/a/plugins/bad.ts': plugin(`export class BadPlugin { static tools = { db: {} }; constructor({ logger }) {} }`),
        'domains/a/plugins/fine.ts': plugin(`export class FinePlugin { constructor({ logger }) {} }`),
      },
      { tools: ['logger', 'db-sqlite'] },
    );
    expect(project.item('a/bad')).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_BOOT' });
    expect(project.item('a/bad')!.reason).toContain("domains/a/plugins/bad.ts static tools has settings for tool 'db', which it does not need (needs: logger)");
    expect(project.item('a/fine')!.status).toBe('ready');
  });
});
