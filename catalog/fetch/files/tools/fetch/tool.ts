// The fetch tool: outbound HTTP for plugins, to the hosts each one's
// declaration allows (allow.ts) and, unless an entry names them, public
// addresses only (addresses.ts). Every hop of a redirect chain is checked as a
// new request; the host is resolved once per hop and the connection made to the
// address checked (exchange.ts), so DNS cannot swap it in between. A deadline
// covers the whole chain, a size limit the body as it streams in.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { durationMs, markFromPlugin, mcError, McError, messageLimit, type CallContext, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { FetchRequestRequest } from '../../proto/gen/microcore/v1/fetch_pb.js';
import { addressKind, canonicalAddress } from './addresses.ts';
import { allowList, DEFAULT_PORTS, declarationOf, matchEntry, type AllowEntry } from './allow.ts';
import { exchange } from './exchange.ts';

/** Resolves a host name to its addresses (dns.lookup by default; tests pass their own). */
export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const MAX_REDIRECTS = 5;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
// The tool's own: a caller's value would lie about the message or the connection.
const OWN_HEADERS = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'expect']);
// Dropped when a redirect leaves the origin they were meant for.
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Failures of the remote end, not of the tool: answered as MC_ERR_TOOL_UNAVAILABLE naming the host.
const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NODATA|EAI_NONAME|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|EPROTO|HPE_.*|ERR_SSL_.*|ERR_TLS_.*|CERT_.*|UNABLE_TO_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_HTTP_.*)$/;

export default class FetchTool implements ToolMethods<'fetch'> {
  static readonly contract = 'fetch';
  #resolve: Resolve;
  #timeoutMs = DEFAULT_TIMEOUT_MS;
  #maxBytes = DEFAULT_MAX_BYTES;
  #messageLimit = messageLimit({});

  constructor(o: { resolve?: Resolve } = {}) {
    this.#resolve = o.resolve ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
  }

  setup(ctx: Pick<ToolContext, 'env'>): void {
    // Every duration passes the kernel's check (a timer past 2^31 − 1 ms would fire at once); 0 is the default.
    this.#timeoutMs = durationMs(ctx.env.FETCH_TIMEOUT_MS, 'FETCH_TIMEOUT_MS', DEFAULT_TIMEOUT_MS, 'MC_ERR_TOOL_SETUP') || DEFAULT_TIMEOUT_MS;
    this.#maxBytes = setting('FETCH_MAX_BYTES', ctx.env.FETCH_MAX_BYTES, DEFAULT_MAX_BYTES);
    this.#messageLimit = messageLimit(ctx.env);
  }

  async request(input: Plain<FetchRequestRequest>, call: CallContext) {
    const entries = allowList(call);
    const method = (input.method || 'GET').toUpperCase();
    if (!METHODS.includes(method)) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with method ${JSON.stringify(input.method)}`, { field: 'method' }, undefined, `Use one of ${METHODS.join(', ')}.`);
    if ((method === 'GET' || method === 'HEAD') && input.body.length) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with a ${method} and a body of ${input.body.length} bytes`, { field: 'body' }, undefined, 'Send the body with POST, PUT or PATCH, or leave it out.');
    let url = parseUrl(input.url, call);
    let body: Uint8Array | undefined = input.body;
    const headers = requestHeaders(input.headers, call);
    if (body.length) headers['content-length'] = String(body.length);
    const timeoutMs = capped(input.timeoutMs, this.#timeoutMs);
    const crosses = call.caller.startsWith('sidecar/') || call.caller.startsWith('wasm/');
    const wanted = capped(input.maxResponseBytes, this.#maxBytes);
    // A sidecar or wasm caller gets the body in one message: past MC_MESSAGE_LIMIT_BYTES it could not cross.
    const limit = crosses ? Math.min(wanted, this.#messageLimit) : wanted;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let current = method;
    let from: URL | undefined;
    try {
      for (let redirects = 0; ; redirects++) {
        const entry = this.#allowed(entries, url, call, from);
        const { address, family } = await this.#address(entry, url, call, abort.signal, from);
        const tooLarge = (size: number | undefined) => limitError(call, url, limit, wanted, size);
        const follow = (status: number, h: IncomingHttpHeaders) => !input.manualRedirects && REDIRECTS.has(status) && typeof h.location === 'string';
        const res = await exchange({ url, method: current, headers, body, address, family, signal: abort.signal, limit, tooLarge, readBody: (s, h) => !follow(s, h) && current !== 'HEAD' });
        if (!follow(res.status, res.headers)) return { status: res.status, headers: flatHeaders(res.headers), body: res.body, url: url.href, redirects };
        if (redirects === MAX_REDIRECTS) throw markFromPlugin(mcError('MC_ERR_TOOL_UNAVAILABLE', `${call.caller} fetched ${input.url}, which redirected more than ${MAX_REDIRECTS} times (last to ${String(res.headers.location)})`, { plugin: call.caller, host: url.host }, undefined, 'Fetch the final URL directly, or set manual_redirects and follow them yourself.'));
        const next = parseUrl(new URL(String(res.headers.location), url).href, call, url);
        // 303, and 301/302 after a POST, as browsers do: the next request is a GET without the body.
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && current === 'POST')) {
          if (current !== 'HEAD') current = 'GET';
          body = undefined;
          delete headers['content-length'];
          delete headers['content-type'];
        }
        if (next.origin !== url.origin) for (const h of CREDENTIAL_HEADERS) delete headers[h];
        from = url;
        url = next;
      }
    } catch (err) {
      throw translate(err, call, url, timeoutMs, abort.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The allow entry for the URL's host and port, or the refusal naming what to add where. */
  #allowed(entries: AllowEntry[], url: URL, call: CallContext, from: URL | undefined): AllowEntry {
    const port = Number(url.port || DEFAULT_PORTS[url.protocol]);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const entry = matchEntry(entries, host, port, url.protocol);
    if (entry) return entry;
    const where = declarationOf(call.caller);
    const hostPort = url.port ? url.host : url.hostname;
    const via = from ? ` (a redirect from ${from.href})` : '';
    const why = entries.length ? `which its allow list (${entries.map((e) => e.text).join(', ')}) does not cover` : 'and it allows no hosts';
    throw mcError('MC_ERR_CAP_DENIED', `${call.caller} may not fetch ${url.href}${via}: host ${hostPort}, ${why}`, { plugin: call.caller, tool: 'fetch', host: hostPort }, undefined, `Add "${hostPort}" to the fetch allow list in ${where}, if ${call.caller} should reach it.`);
  }

  /** The address to connect to: the host resolved once, each address checked. */
  async #address(entry: AllowEntry, url: URL, call: CallContext, signal: AbortSignal, from: URL | undefined): Promise<{ address: string; family: 4 | 6 }> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let found: { address: string; family: number }[];
    if (isIP(host)) found = [{ address: host, family: isIP(host) }];
    // localhost is loopback by definition (RFC 6761), not whatever a resolver says.
    else if (host === 'localhost' || host.endsWith('.localhost')) found = [{ address: '127.0.0.1', family: 4 }];
    else found = await abortable(this.#resolve(host), signal).catch((err: unknown) => {
      throw signal.aborted ? err : markFromPlugin(mcError('MC_ERR_TOOL_UNAVAILABLE', `${call.caller} fetched ${url.href}: host ${host} could not be resolved (${(err as { code?: string }).code ?? (err as Error).message})`, { plugin: call.caller, host }, err, 'Check the host name, and that this machine can resolve it.'));
    });
    if (!found.length) throw markFromPlugin(mcError('MC_ERR_TOOL_UNAVAILABLE', `${call.caller} fetched ${url.href}: host ${host} resolved to no address`, { plugin: call.caller, host }));
    for (const a of found) {
      const kind = addressKind(a.address);
      const named = (entry.kind === 'address' && entry.host === canonicalAddress(a.address)) || (entry.kind === 'localhost' && kind === 'loopback');
      if (kind === undefined || named) continue;
      const via = from ? ` (a redirect from ${from.href})` : '';
      const resolved = isIP(host) ? '' : ` resolves to ${a.address}, which`;
      throw mcError('MC_ERR_CAP_DENIED', `${call.caller} may not fetch ${url.href}${via}: ${host}${resolved} is not a public address (${kind}), and the allow entry "${entry.text}" does not name it`, { plugin: call.caller, tool: 'fetch', host, address: a.address }, undefined, `Non-public addresses are reached only through an entry naming the address itself (e.g. "${isIP(a.address) === 6 ? `[${a.address}]` : a.address}:${url.port || DEFAULT_PORTS[url.protocol]}") in ${declarationOf(call.caller)}.`);
    }
    return { address: found[0]!.address, family: found[0]!.family === 6 ? 6 : 4 };
  }
}

function parseUrl(text: string, call: CallContext, from?: URL): URL {
  let url: URL;
  const via = from ? ` (a redirect from ${from.href})` : '';
  try {
    url = new URL(text);
  } catch (err) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with url ${JSON.stringify(text)}${via}, which is not an absolute URL`, { field: 'url' }, err, 'Pass an absolute http:// or https:// URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw mcError(from ? 'MC_ERR_CAP_DENIED' : 'MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with url ${url.href}${via}: only http and https are fetched, not ${url.protocol.slice(0, -1)}`, { field: 'url', plugin: call.caller }, undefined, 'Use an http:// or https:// URL.');
  if (url.username || url.password) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with a URL carrying user:password@${via}`, { field: 'url' }, undefined, 'Send credentials in a header (Authorization), not in the URL.');
  url.hash = '';
  return url;
}

function requestHeaders(given: Record<string, string>, call: CallContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const key = name.toLowerCase();
    if (OWN_HEADERS.has(key)) continue;
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key) || /[\r\n\0]/.test(value)) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with header ${JSON.stringify(name)}: ${JSON.stringify(value)}, which cannot be sent`, { field: `headers.${name}` }, undefined, 'Use a header name of letters, digits and -, and a value without line breaks.');
    out[key] = value;
  }
  out['user-agent'] ??= 'microcore-fetch';
  return out;
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function limitError(call: CallContext, url: URL, limit: number, wanted: number, size: number | undefined): McError {
  const measured = size === undefined ? 'more than' : `${size} bytes (Content-Length), more than`;
  if (limit < wanted) return mcError('MC_ERR_MESSAGE_TOO_LARGE', `the fetch.request result for ${call.caller} (${url.href}) has a body of ${measured} MC_MESSAGE_LIMIT_BYTES (${limit}), the most that crosses to a sidecar or wasm module`, { plugin: call.caller, limit: String(limit), host: url.host });
  return mcError('MC_ERR_HTTP_TOO_LARGE', `${call.caller} fetched ${url.href}: the response body is ${measured} ${limit} bytes (max_response_bytes, capped by FETCH_MAX_BYTES); it was cut off`, { plugin: call.caller, limit: String(limit), host: url.host }, undefined, 'Ask for less (a range, a page), or raise max_response_bytes (up to FETCH_MAX_BYTES).');
}

function translate(err: unknown, call: CallContext, url: URL, timeoutMs: number, timedOut: boolean): unknown {
  if (timedOut) return mcError('MC_ERR_HTTP_TIMEOUT', `${call.caller} fetched ${url.href}: no complete answer within ${timeoutMs} ms`, { plugin: call.caller, host: url.host, timeoutMs: String(timeoutMs) }, err, 'Raise timeout_ms (up to FETCH_TIMEOUT_MS), or ask the server for less.');
  if (err instanceof McError) return err;
  const code = String((err as { code?: unknown }).code ?? '');
  if (NETWORK_CODES.test(code)) return markFromPlugin(mcError('MC_ERR_TOOL_UNAVAILABLE', `${call.caller} fetched ${url.href}: ${url.host} failed (${code}: ${(err as Error).message})`, { plugin: call.caller, host: url.host, cause: code }, err, 'Check that the server is up and reachable from this machine (and, for https, that its certificate is valid).'));
  if (code.startsWith('ERR_INVALID_')) return mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} called fetch.request with something node:http refused (${code}: ${(err as Error).message})`, { plugin: call.caller }, err);
  return err;
}

/** A request's own value, 0 taking the setting's, never past it. */
function capped(given: bigint, max: number): number {
  const n = Number(given);
  return n > 0 ? Math.min(n, max) : max;
}

function setting(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw mcError('MC_ERR_TOOL_SETUP', `${name} is ${JSON.stringify(raw)}; it must be a whole number above 0`, { setting: name }, undefined, `Set ${name} to a whole number, or unset it for ${fallback}.`);
  return n;
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
