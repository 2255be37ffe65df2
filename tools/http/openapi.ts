// The OpenAPI 3.1 document, built from the kernel route table, so endpoints of
// every hosting appear alike.
import type { Route } from '../../kernel/index.ts';

export function openApiDocument(routes: Route[], title: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = [...pathParameters(r), ...queryParameters(r)];
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary || undefined,
      tags: r.tags,
      'x-microcore-owner': r.owner,
      'x-microcore-auth': r.auth,
      parameters: params.length ? params : undefined,
      requestBody: r.bodySchema ? { required: true, content: { 'application/json': { schema: r.bodySchema } } } : undefined,
      responses: {
        [String(r.successStatus)]: r.stream
          ? { description: 'A stream of server-sent events', content: { 'text/event-stream': { schema: { type: 'string' } } } }
          : { description: 'Success', content: { 'application/json': { schema: r.responseSchema ?? {} } } },
        default: { description: 'Error', content: { 'application/json': { schema: ERROR_SCHEMA } } },
      },
    };
  }
  return { openapi: '3.1.0', info: { title, version: '1' }, paths };
}

type Schema = { properties?: Record<string, object & { description?: string }>; required?: string[] };

function pathParameters(r: Route): object[] {
  const props = (r.paramsSchema as Schema | undefined)?.properties ?? {};
  return [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: props[m[1]!] ?? { type: 'string' } }));
}

function queryParameters(r: Route): object[] {
  const schema = r.querySchema as Schema | undefined;
  return Object.entries(schema?.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: schema?.required?.includes(name) ?? false, description: s.description, schema: s }));
}

const ERROR_SCHEMA = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } }, required: ['code', 'message'] } },
};

export function docsPage(title: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:14px system-ui;margin:2rem;max-width:60rem}code{background:#f3f3f3;padding:0 .3em}li{margin:.3em 0}</style></head>
<body><h1>${title}</h1><p>OpenAPI document: <a href="/docs/json">/docs/json</a></p><ul id="e"></ul>
<script>fetch('/docs/json').then(r=>r.json()).then(d=>{const ul=document.getElementById('e');
for(const [p,ms] of Object.entries(d.paths))for(const [m,op] of Object.entries(ms)){const li=document.createElement('li');
li.innerHTML='<code>'+m.toUpperCase()+' '+p+'</code> '+(op.summary||'')+' <small>('+op['x-microcore-owner']+')</small>';ul.appendChild(li)}})</script></body></html>`;
}
