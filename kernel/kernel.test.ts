// The kernel booting real projects: discovery, DI by the constructor, fault
// isolation, optional tools, duplicate contracts, lifecycle order, timeouts.
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, plugin, writeProject, REPO, type TestProject } from '../test/project.ts';
import { Kernel } from './kernel.ts';

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

describe('kernel boot', () => {
  it('isolates DI errors: a plugin needing a missing tool fails, naming its file; the rest boots', async () => {
    project = await bootProject({
      'domains/mail/plugins/send.ts': plugin(`export class SendPlugin { constructor({ mailer, logger }) { this.m = mailer; } }`),
      'domains/mail/plugins/ok.ts': plugin(`export class OkPlugin { constructor({ logger }) { this.l = logger; } }`),
      'domains/mail/plugins/ok.test.ts': `throw new Error('a test file must never be imported by discovery');`,
    });
    const send = project.item('mail/send')!;
    expect(send.status).toBe('failed');
    expect(send.code).toBe('MC_ERR_PLUGIN_MISSING_TOOL');
    expect(send.reason).toBe(
      "MC_ERR_PLUGIN_MISSING_TOOL: domains/mail/plugins/send.ts needs tool 'mailer', which is not loaded (loaded: bus, config, db, http, logger, state, system). Add tools/mailer, or remove 'mailer' from the constructor.",
    );
    expect(project.item('mail/ok')!.status).toBe('ready');
    expect(project.report.some((i) => i.name.includes('ok.test'))).toBe(false);
  });

  it('gives an optional tool (a default value) when loaded, and the default when not', async () => {
    project = await bootProject(
      {
        'domains/a/plugins/opt.ts': plugin(`
          export class OptPlugin {
            constructor({ http, state = 'no-state', db = 'no-db' }) { globalThis.__opt = { state: typeof state, db }; void http; }
          }`),
      },
      { tools: ['http', 'state', 'logger'] },
    );
    expect(project.item('a/opt')!.status).toBe('ready');
    expect(project.item('a/opt')!.needs).toEqual(['http', 'state']);
    expect((globalThis as { __opt?: unknown }).__opt).toEqual({ state: 'object', db: 'no-db' });
  });

  it('marks a plugin that throws in its constructor or onBoot failed, with the cause', async () => {
    project = await bootProject({
      'domains/a/plugins/ctor.ts': plugin(`export class CtorPlugin { constructor({ logger }) { throw new Error('ctor broke'); } }`),
      'domains/a/plugins/boot.ts': plugin(`export class BootPlugin { constructor({ logger }) {} async onBoot() { throw new Error('boot broke'); } }`),
      'domains/a/plugins/fine.ts': plugin(`export class FinePlugin { constructor({ logger }) {} }`),
    });
    expect(project.item('a/ctor')).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_BOOT' });
    expect(project.item('a/ctor')!.reason).toContain('domains/a/plugins/ctor.ts constructor threw: ctor broke');
    expect(project.item('a/boot')).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_BOOT' });
    expect(project.item('a/boot')!.reason).toContain('boot broke');
    expect(project.item('a/fine')!.status).toBe('ready');
  });

  it('times out a hung onBoot, naming the plugin', async () => {
    project = await bootProject(
      { 'domains/a/plugins/hang.ts': plugin(`export class HangPlugin { constructor({ logger }) {} onBoot() { return new Promise(() => {}); } }`) },
      { env: { MC_STEP_TIMEOUT_MS: '300' } },
    );
    expect(project.item('a/hang')).toMatchObject({ status: 'failed', code: 'MC_ERR_LIFECYCLE_TIMEOUT' });
    expect(project.item('a/hang')!.reason).toContain('a/hang onBoot did not finish within 300 ms');
  });

  it('refuses two tool folders serving one contract, naming both', async () => {
    const root = writeProject({ 'tools/db-other/tool.ts': `export { default } from '${REPO}/tools/db-sqlite/tool.ts';\n` });
    const kernel = new Kernel({ root, env: { LOG_LEVEL: 'silent', HTTP_PORT: '0' } });
    await expect(kernel.boot()).rejects.toThrow("MC_ERR_TOOL_DUPLICATE: tools/db-other and tools/db-sqlite both serve the contract 'db'");
  });

  it('fails a tool that lacks a method of its contract, naming the method, and the plugins needing it', async () => {
    project = await bootProject(
      {
        'tools/partial-state/tool.ts': `export default class PartialState { static contract = 'state'; get() { return {}; } }`,
        'domains/a/plugins/counter.ts': plugin(`export class CounterPlugin { constructor({ state }) {} }`),
      },
      { tools: ['logger'] },
    );
    expect(project.item('state')).toMatchObject({ status: 'failed', code: 'MC_ERR_TOOL_SETUP' });
    expect(project.item('state')!.reason).toContain("tools/partial-state/tool.ts serves 'state' but lacks state.set, state.delete");
    expect(project.item('a/counter')).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_MISSING_TOOL' });
    expect(project.item('a/counter')!.reason).toContain("needs tool 'state', which failed to set up");
  });

  it('reads only the destructured tools, and refuses an undeclared one', async () => {
    project = await bootProject({
      'domains/a/plugins/sneaky.ts': plugin(`
        export class SneakyPlugin {
          constructor({ logger }) {
            const tools = arguments[0];
            globalThis.__probe = (() => { try { void tools.state; return 'no error'; } catch (e) { return e.message; } })();
          }
        }`),
    });
    expect(project.item('a/sneaky')!.needs).toEqual(['logger']);
    expect((globalThis as { __probe?: string }).__probe).toMatch(/^MC_ERR_CAP_DENIED: a\/sneaky \(domains\/a\/plugins\/sneaky.ts\) used tool 'state' but did not declare it/);
  });
});

describe('kernel lifecycle order', () => {
  it('sets up tools, constructs plugins, runs onBoot, completes tools with http last; shuts down in reverse', async () => {
    const log = `globalThis.__order ??= []; const note = (s) => globalThis.__order.push(s);`;
    const fakeTool = (name: string) => `${log}
      export default class T { static contract = '${name}';
        setup() { note('setup ${name}'); } onBootComplete() { note('complete ${name}'); } shutdown() { note('shutdown ${name}'); } }`;
    const root = writeProject(
      {
        'tools/zeta/tool.ts': fakeTool('zeta'),
        'tools/alpha/tool.ts': fakeTool('alpha'),
        'tools/web/tool.ts': `${log}
          export default class H { static contract = 'http'; setup() { note('setup http'); } addEndpoint() { return {}; } addStream() { return {}; } sendEvent() { return {}; } addAuthValidator() { return {}; }
            onBootComplete() { note('complete http'); } shutdown() { note('shutdown http'); } }`,
        'domains/a/plugins/one.ts': `${log} export class One { constructor({ http }) { note('construct a/one'); } onBoot() { note('boot a/one'); } onShutdown() { note('shutdown a/one'); } }`,
        'domains/b/plugins/two.ts': `${log} export class Two { constructor({ http }) { note('construct b/two'); } onBoot() { note('boot b/two'); } onShutdown() { note('shutdown b/two'); } }`,
      },
      [],
    );
    const kernel = new Kernel({ root, env: {} });
    await kernel.boot();
    await kernel.shutdown();
    const order = (globalThis as { __order?: string[] }).__order!;
    const at = (s: string) => order.indexOf(s);
    for (const t of ['alpha', 'zeta', 'http']) expect(at(`setup ${t}`)).toBeLessThan(at('construct a/one'));
    expect(at('construct b/two')).toBeLessThan(at('boot a/one'));
    expect(order.filter((s) => s.startsWith('complete'))).toEqual(['complete alpha', 'complete zeta', 'complete http']);
    expect(at('boot b/two')).toBeLessThan(at('complete alpha'));
    expect(order.slice(order.indexOf('complete http') + 1)).toEqual(['shutdown http', 'shutdown b/two', 'shutdown a/one', 'shutdown zeta', 'shutdown alpha']);
    expect(kernel.registry.list().every((i) => i.status === 'stopped')).toBe(true);
  });
});

// Issue 7, item 19: a shutdown past MC_SHUTDOWN_TIMEOUT_MS used to leave /tmp/mc-* behind.
describe('kernel shutdown past its limit', () => {
  it('still removes its private socket folder', async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = writeProject({
      // A sidecar that writes down the folder it was given, then never handshakes.
      'sidecars/s/sidecar.json': JSON.stringify({ name: 's', command: 'sh', args: ['-c', 'echo "$MICROCORE_SOCKET_DIR" > socket-dir.txt; sleep 30'], startTimeoutMs: 300 }),
      'domains/h/plugins/hang.ts': plugin(`export class HangPlugin { constructor({ logger }) {} onShutdown() { return new Promise(() => {}); } }`),
    });
    const kernel = new Kernel({ root, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: ':memory:', MC_SHUTDOWN_TIMEOUT_MS: '300', MC_STEP_TIMEOUT_MS: '5000', AI_CONTEXT_PATH: 'off' } });
    try {
      await kernel.boot();
      const dir = readFileSync(join(root, 'sidecars/s/socket-dir.txt'), 'utf8').trim();
      expect(dir).toMatch(/mc-/);
      expect(existsSync(dir)).toBe(true);
      await expect(kernel.shutdown()).rejects.toMatchObject({ code: 'MC_ERR_LIFECYCLE_TIMEOUT' });
      expect(existsSync(dir)).toBe(false);
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// Issue 8: test/project.ts links the parity fixtures' folders into a temp project.
// A linked plugin's imports are its author's, relative to where the file lives;
// vitest (unlike Node) kept the link's path, so an import leaving the folder failed.
describe('a plugin folder linked into the project', () => {
  it('boots, importing from where the file lives, under the identity and file of the link', async () => {
    const { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const elsewhere = mkdtempSync(join(tmpdir(), 'mc-elsewhere-'));
    mkdirSync(join(elsewhere, 'app/domains/shop/plugins'), { recursive: true });
    writeFileSync(join(elsewhere, 'app/shared.ts'), `export const GREETING = 'hello from elsewhere';\n`);
    writeFileSync(
      join(elsewhere, 'app/domains/shop/plugins/greet.ts'),
      `import { GREETING } from '../../../shared.ts';\nexport class GreetPlugin { constructor({ http }) { this.http = http; } async onBoot() { await this.http.addEndpoint({ method: 'GET', path: '/greet', handler: () => ({ text: GREETING }) }); } }\n`,
    );
    const root = writeProject({ 'domains/local/plugins/keep.ts': plugin(`export class KeepPlugin { constructor({ logger }) {} }`) });
    symlinkSync(join(elsewhere, 'app/domains/shop'), join(root, 'domains/shop'));
    const kernel = new Kernel({ root, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: ':memory:', AI_CONTEXT_PATH: 'off' } });
    try {
      const report = await kernel.boot();
      expect(report.find((i) => i.name === 'shop/greet'), JSON.stringify(report)).toMatchObject({ status: 'ready', source: 'domains/shop/plugins/greet.ts' });
      const res = await fetch(`http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}/greet`);
      expect(await res.json()).toEqual({ text: 'hello from elsewhere' });
    } finally {
      await kernel.shutdown();
      rmSync(root, { recursive: true, force: true });
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
