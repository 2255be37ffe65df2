// Response headers every answer gets: its request id (fastify's genReqId, set in
// tool.ts), the browser security basics always, CORS
// only for the origins HTTP_CORS_ORIGINS names (none by default: the safe side).
import type { FastifyInstance } from 'fastify';
import { mcError } from '../../kernel/index.ts';

const ALLOWED_HEADERS = 'content-type, authorization, x-request-id, traceparent';

export function addResponseHeaders(app: FastifyInstance, env: Readonly<Record<string, string | undefined>>): void {
  const origins = (env.HTTP_CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const credentials = env.HTTP_CORS_CREDENTIALS === 'true';
  if (credentials && origins.includes('*')) {
    throw mcError('MC_ERR_TOOL_SETUP', "HTTP_CORS_ORIGINS='*' cannot be combined with HTTP_CORS_CREDENTIALS=true (browsers refuse it)", { setting: 'HTTP_CORS_ORIGINS' }, undefined, 'List the allowed origins in HTTP_CORS_ORIGINS, comma-separated.');
  }
  const hsts = env.HTTP_HSTS === 'true';
  const allowedOrigin = (origin: string | undefined) => (origin && (origins.includes('*') ? '*' : origins.includes(origin) ? origin : undefined)) || undefined;

  // A callback hook, not an async one: this runs on every request, and an async
  // hook costs fastify a promise and a turn of the microtask queue each time.
  app.addHook('onRequest', (req, reply, done) => {
    // Set before any parsing or routing, so errors raised before dispatch carry it too.
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const allowed = origins.length ? allowedOrigin(req.headers.origin) : undefined;
    if (allowed) {
      reply.header('access-control-allow-origin', allowed);
      reply.header('access-control-expose-headers', 'x-request-id');
      if (allowed !== '*') reply.header('vary', 'Origin');
      if (credentials) reply.header('access-control-allow-credentials', 'true');
    }
    done();
  });

  // Preflight: answered for allowed origins; others get no CORS headers, so the browser stops there.
  app.options('*', async (req, reply) => {
    if (allowedOrigin(req.headers.origin)) {
      reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
      reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      reply.header('access-control-max-age', '600');
    }
    return reply.code(204).send();
  });
}
