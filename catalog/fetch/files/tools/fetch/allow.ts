// A plugin's allow list for the fetch tool (CallContext.settings: its
// manifest's "tools": { "fetch": { "allow": [...] } }, or a native plugin's
// static tools = { fetch: { allow: [...] } }), read into entries and matched
// against a URL's host and port.
//
//   api.example.org        that host, on its scheme's default port (80, 443)
//   api.example.org:8443   that host and port
//   *.example.com[:port]   every subdomain of example.com, not example.com itself
//   *[:port]               every host
//   127.0.0.1:8080, [::1]:8080, localhost:8080
//                          an address (or localhost) named on purpose: the only
//                          entries that reach loopback, private and other
//                          non-public addresses (addresses.ts)
import { isIP } from 'node:net';
import { mcError, type CallContext } from '../../kernel/index.ts';
import { canonicalAddress } from './addresses.ts';

export interface AllowEntry {
  /** As written in the declaration. */
  text: string;
  kind: 'any' | 'subdomains' | 'host' | 'address' | 'localhost';
  /** Lower case; for `subdomains` the parent (example.com); for `address` canonical. */
  host: string;
  /** undefined: the scheme's default port. */
  port?: number;
}

export const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Where a caller's allow list is declared, and how, for messages. */
export function declarationOf(caller: string): string {
  const [first, name] = caller.split('/') as [string, string];
  if (first === 'sidecar') return `sidecars/${name}/sidecar.json ("tools": { "fetch": { "allow": [...] } })`;
  if (first === 'wasm') return `wasm-plugins/${name}/plugin.json ("tools": { "fetch": { "allow": [...] } })`;
  return `domains/${first}/plugins/${name}.ts (static tools = { fetch: { allow: [...] } })`;
}

const cache = new WeakMap<object, AllowEntry[]>();

/** The caller's entries (none when it declared none); a malformed declaration is refused, naming the entry. */
export function allowList(call: CallContext): AllowEntry[] {
  const settings = call.settings;
  if (!settings) return [];
  const known = cache.get(settings);
  if (known) return known;
  const refuse = (why: string) => mcError('MC_ERR_CAP_DENIED', `${call.caller} cannot fetch: its fetch settings in ${declarationOf(call.caller)} ${why}`, { plugin: call.caller, tool: 'fetch' }, undefined, 'Correct the declaration (docs/tools/fetch.md shows the forms an entry takes).');
  const unknown = Object.keys(settings).find((k) => k !== 'allow');
  if (unknown !== undefined) throw refuse(`have an unknown field '${unknown}' (known: allow)`);
  const allow = settings.allow ?? [];
  if (!Array.isArray(allow) || !allow.every((e) => typeof e === 'string')) throw refuse(`have an 'allow' that is not an array of strings: ${JSON.stringify(allow)}`);
  const entries = allow.map((text: string) => {
    const entry = parseEntry(text);
    if (typeof entry === 'string') throw refuse(`list ${JSON.stringify(text)} in 'allow', which ${entry}`);
    return entry;
  });
  cache.set(settings, entries);
  return entries;
}

export function parseEntry(text: string): AllowEntry | string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:/@\s[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return 'is not a host, host:port, *.domain or [IPv6]:port (no scheme, path or user)';
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return `has port ${port}, outside 1-65535`;
  let host = m[1]!.toLowerCase();
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) return 'is not an IPv6 address in brackets';
    return { text, kind: 'address', host: canonicalAddress(host), port };
  }
  if (isIP(host) === 4) return { text, kind: 'address', host, port };
  if (host === '*') return { text, kind: 'any', host: '', port };
  if (host === 'localhost') return { text, kind: 'localhost', host, port };
  const sub = host.startsWith('*.');
  const name = sub ? host.slice(2) : host;
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(name) || name.includes('*')) return 'is not a host name (a wildcard may only lead: *.example.com)';
  return { text, kind: sub ? 'subdomains' : 'host', host: name.replace(/\.$/, ''), port };
}

/** The entry that lets `host` (as URL.hostname gives it, IPv6 without brackets) on `port` through, if any. */
export function matchEntry(entries: readonly AllowEntry[], host: string, port: number, protocol: string): AllowEntry | undefined {
  const h = isIP(host) === 6 ? canonicalAddress(host) : host.toLowerCase().replace(/\.$/, '');
  return entries.find((e) => {
    if ((e.port ?? DEFAULT_PORTS[protocol]) !== port) return false;
    switch (e.kind) {
      case 'any':
        return true;
      case 'subdomains':
        return h.endsWith(`.${e.host}`);
      default:
        return h === e.host;
    }
  });
}
