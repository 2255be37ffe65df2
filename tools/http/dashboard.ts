// The observability dashboard (issue 13): a page for the browser, built from
// dashboard/src by dashboard/build.ts into dashboard/dist (never committed;
// scripts/setup.sh builds it), served at /dashboard when DASHBOARD=on. It reads
// what /system/* already serves; this file only hands out the built files.
// With DASHBOARD_AUTH=<validator> each page first passes that auth validator,
// the one the http tool runs for a route that names it (tool.ts passes it in).
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { McError, mcError, type JsValue, type KernelLog, type Plain } from '../../kernel/index.ts';
import type { HttpRequest } from '../../proto/gen/microcore/v1/http_pb.js';
import { renderJson } from './json.ts';
import { stringMap } from './parameters.ts';

/** Where the bundle lands: beside the framework's own dashboard/ sources, wherever the project is. */
const BUILT = resolve(import.meta.dirname, '../../dashboard/dist');
const BUILD_COMMAND = 'bash scripts/setup.sh (or: node dashboard/build.ts)';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ico': 'image/x-icon',
};

export interface DashboardSettings {
  /** The folder holding index.html and assets/. */
  dir: string;
  /** The auth validator every page must pass, by name; empty for none. */
  auth: string;
}

/** DASHBOARD (on|off, default off), DASHBOARD_AUTH, DASHBOARD_DIR; undefined when off. */
export function dashboardSettings(env: Readonly<Record<string, string | undefined>>): DashboardSettings | undefined {
  const on = (env.DASHBOARD || 'off').toLowerCase();
  if (on !== 'on' && on !== 'off') {
    throw mcError('MC_ERR_TOOL_SETUP', `DASHBOARD=${env.DASHBOARD} is neither on nor off`, { setting: 'DASHBOARD' }, undefined, 'Set DASHBOARD=on to serve /dashboard, or off (the default) not to.');
  }
  if (on === 'off') return undefined;
  return { dir: env.DASHBOARD_DIR ? resolve(env.DASHBOARD_DIR) : BUILT, auth: env.DASHBOARD_AUTH ?? '' };
}

export interface DashboardAuth {
  /** Whether a plugin added the validator of that name. */
  has(name: string): boolean;
  /** Runs the named validator on the request: its claims, or it throws MC_ERR_HTTP_UNAUTHORIZED. */
  authenticate(name: string, request: Plain<HttpRequest>): Promise<JsValue>;
}

/** Adds GET /dashboard and /dashboard/assets/*; says at boot what would stop them serving. */
/** Says at boot what would make /dashboard fail: no bundle, or a validator no plugin added. */
export function checkDashboard(settings: DashboardSettings, log: KernelLog, auth: DashboardAuth): void {
  if (!existsSync(join(settings.dir, 'index.html'))) log.error(notBuilt(settings.dir).message, { code: 'MC_ERR_TOOL_UNAVAILABLE', dir: settings.dir });
  if (settings.auth && !auth.has(settings.auth)) log.error(`DASHBOARD_AUTH names auth validator '${settings.auth}', which no plugin added; /dashboard will answer 500`, { auth: settings.auth });
}

export function addDashboard(app: FastifyInstance, settings: DashboardSettings, auth: DashboardAuth): void {
  const assets = join(settings.dir, 'assets');

  const guard = async (req: FastifyRequest) => {
    if (!settings.auth) return;
    const request: Plain<HttpRequest> = { method: 'GET', route: '/dashboard', url: req.url, params: {}, query: stringMap(req.query), headers: stringMap(req.headers), body: null, requestId: req.id, streamId: '', auth: null };
    await auth.authenticate(settings.auth, request);
  };
  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    await guard(req);
    const html = await readFileIfAny(join(settings.dir, 'index.html'));
    if (html) return reply.header('cache-control', 'no-cache').type(TYPES['.html']!).send(html);
    // Straight to the client, not through the error handler: that hides a 5xx
    // message, and this one is the fix.
    const error = notBuilt(settings.dir);
    return reply.code(error.httpStatus).header('cache-control', 'no-store').type('application/json').send(renderJson({ error: { code: error.code, message: error.message, details: error.details } }));
  };
  app.get('/dashboard', page);
  app.get('/dashboard/', page);
  app.get('/dashboard/assets/*', async (req, reply) => {
    await guard(req);
    const wanted = (req.params as { '*': string })['*'];
    // fastify has decoded %2e%2e and %2f already: judge the path it resolves to.
    const path = resolve(assets, wanted);
    const inside = relative(assets, path);
    if (!wanted || wanted.includes('\0') || !inside || inside.startsWith('..') || inside.startsWith(sep)) throw notFound(req);
    const body = await readFileIfAny(path);
    if (!body) throw notFound(req);
    // Built names carry their content's hash, so a browser may keep them.
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(TYPES[extname(path)] ?? 'application/octet-stream').send(body);
  });
}

/** The file's bytes; undefined when there is no such file (a folder is none). */
async function readFileIfAny(path: string): Promise<Buffer | undefined> {
  const found = await stat(path).catch(() => undefined);
  return found?.isFile() ? readFile(path) : undefined;
}

function notBuilt(dir: string): McError {
  return mcError('MC_ERR_TOOL_UNAVAILABLE', `DASHBOARD=on, but the dashboard is not built (no index.html in ${dir})`, { dir }, undefined, `Build it with ${BUILD_COMMAND}, then reload.`);
}

function notFound(req: FastifyRequest): Error {
  return mcError('MC_ERR_HTTP_NOT_FOUND', `no dashboard file ${req.url.split('?')[0]}`, { path: req.url });
}
