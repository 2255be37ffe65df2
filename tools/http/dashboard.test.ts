// /dashboard served by the http tool over real HTTP: off by default, the built
// files with their types when on, nothing outside the bundle, the auth validator
// DASHBOARD_AUTH names, and a missing bundle answered with the command that builds it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bootProject, plugin, REPO, type TestProject } from '../../test/project.ts';

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

// A stand-in bundle: what dashboard/build.ts lays out, with a file beside assets/ that must stay unreachable.
const bundle = mkdtempSync(join(tmpdir(), 'mc-dashboard-'));
mkdirSync(join(bundle, 'assets/fonts'), { recursive: true });
writeFileSync(join(bundle, 'index.html'), '<!doctype html><title>MicroCore</title><script src="/dashboard/assets/app-1.js"></script>');
writeFileSync(join(bundle, 'assets/app-1.js'), 'console.log(1)');
writeFileSync(join(bundle, 'assets/app-1.css'), 'body{}');
writeFileSync(join(bundle, 'assets/fonts/a.woff2'), 'x');
writeFileSync(join(bundle, 'secret.txt'), 'not for clients');
afterAll(() => rmSync(bundle, { recursive: true, force: true }));

const AUTH_PLUGIN = plugin(`
  export class AuthPlugin {
    constructor({ http }) { this.http = http; }
    async onBoot() {
      await this.http.addAuthValidator({ name: 'bearer', handler: (req) => (req.headers.authorization === 'Bearer good' ? { sub: 'ada' } : null) });
    }
  }`);

const get = (path: string, headers: Record<string, string> = {}) => fetch(project!.url + path, { headers });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe('/dashboard', () => {
  it('is not served unless DASHBOARD=on', async () => {
    project = await bootProject({}, { env: { DASHBOARD_DIR: bundle } });
    const res = await get('/dashboard');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('MC_ERR_HTTP_NOT_FOUND');
    expect((await get('/dashboard/assets/app-1.js')).status).toBe(404);
  });

  it('serves index.html and the assets with their content types', async () => {
    project = await bootProject({}, { env: { DASHBOARD: 'on', DASHBOARD_DIR: bundle } });
    for (const path of ['/dashboard', '/dashboard/']) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(await page.text()).toContain('/dashboard/assets/app-1.js');
    }
    const types = { 'app-1.js': 'text/javascript; charset=utf-8', 'app-1.css': 'text/css; charset=utf-8', 'fonts/a.woff2': 'font/woff2' };
    for (const [file, type] of Object.entries(types)) {
      const res = await get(`/dashboard/assets/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toBe(type);
      expect(res.headers.get('cache-control'), file).toContain('immutable');
    }
    expect(await (await get('/dashboard/assets/app-1.js')).text()).toBe('console.log(1)');
    expect((await get('/dashboard/assets/nope.js')).status).toBe(404);
  });

  it('refuses every path out of the assets folder, and folders', async () => {
    project = await bootProject({}, { env: { DASHBOARD: 'on', DASHBOARD_DIR: bundle } });
    // fetch would normalise a literal "..": these reach the server as written.
    for (const path of ['/dashboard/assets/%2e%2e/secret.txt', '/dashboard/assets/..%2fsecret.txt', '/dashboard/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/dashboard/assets/fonts/..%2f..%2fsecret.txt', '/dashboard/assets/%2fetc%2fpasswd', '/dashboard/assets/fonts', '/dashboard/assets/', '/dashboard/assets/a%00.js']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('not for clients');
    }
  });

  it('makes every page, and the /system/* data it shows, pass the validator DASHBOARD_AUTH names', async () => {
    const system = { 'domains/system': join(REPO, 'domains/system') };
    project = await bootProject({ 'domains/a/plugins/auth.ts': AUTH_PLUGIN }, { env: { DASHBOARD: 'on', DASHBOARD_DIR: bundle, DASHBOARD_AUTH: 'bearer' }, links: system });
    // /health stays open: load balancers ask it.
    expect((await get('/health')).status).toBe(200);
    for (const path of ['/dashboard', '/dashboard/assets/app-1.js', '/system/status', '/system/traces']) {
      const refused = await get(path);
      expect(refused.status, path).toBe(401);
      expect((await errorOf(refused)).code).toBe('MC_ERR_HTTP_UNAUTHORIZED');
      expect((await get(path, { authorization: 'Bearer bad' })).status, path).toBe(401);
      expect((await get(path, { authorization: 'Bearer good' })).status, path).toBe(200);
    }
  });

  it('answers 500 when DASHBOARD_AUTH names a validator no plugin added, never the page', async () => {
    project = await bootProject({}, { env: { DASHBOARD: 'on', DASHBOARD_DIR: bundle, DASHBOARD_AUTH: 'nobody', HTTP_EXPOSE_ERRORS: 'true' } });
    const res = await get('/dashboard');
    expect(res.status).toBe(500);
    expect((await errorOf(res)).message).toContain("auth validator 'nobody', which no plugin added");
  });

  it('says how to build the bundle when it is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'mc-dashboard-empty-'));
    try {
      project = await bootProject({}, { env: { DASHBOARD: 'on', DASHBOARD_DIR: empty } });
      const res = await get('/dashboard');
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.code).toBe('MC_ERR_TOOL_UNAVAILABLE');
      expect(error.message).toContain('the dashboard is not built');
      expect(error.message).toContain('node dashboard/build.ts');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('fails the http tool at boot on a DASHBOARD that is neither on nor off', async () => {
    project = await bootProject({}, { env: { DASHBOARD: 'yes' } });
    expect(project.item('http')).toMatchObject({ status: 'failed', code: 'MC_ERR_TOOL_SETUP' });
    expect(project.item('http')!.reason).toContain('DASHBOARD=yes is neither on nor off');
  });
});
