// Finds everything by folder convention: zero wiring, zero central config.
//   tools/<folder>/tool.ts               a tool
//   domains/<domain>/plugins/<name>.ts   a native plugin, identity <domain>/<name>
//   sidecars/<name>/sidecar.json         a sidecar, identity sidecar/<name>
//   wasm-plugins/<name>/plugin.json      a wasm module, identity wasm/<name>
//   */migrations/                        SQL the db tool applies, per domain or plugin folder
// Everything is sorted, so two runs over one tree find the same things in the same order.
// A symlink counts as what it points to: a plugin folder linked in from elsewhere
// (a shared plugin, the test fixtures in test/project.ts) is found like any other,
// rather than skipped without a word. Manifest paths are still checked against
// the project by their path through the link (manifest.ts checkInside).
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { mcError, type McError } from './errors.ts';

/** Domain names the kernel's own identities use: sidecar/<name>, wasm/<name>, and tool/<name> (the bus publishes dead letters as tool/bus). */
export const RESERVED_DOMAINS = ['sidecar', 'wasm', 'tool'] as const;

export interface DiscoveredTool {
  folder: string;
  /** tools/<folder>/tool.ts, relative to the root. */
  file: string;
}

export interface DiscoveredPlugin {
  kind: 'native' | 'sidecar' | 'wasm';
  /** Its identity; for a refused plugin, its file (so the report keeps both apart). */
  identity: string;
  /** Why the kernel will not load it (a taken identity, a reserved domain). */
  refused?: McError;
  /** The plugin file or manifest, relative to the root. */
  file: string;
  /** The plugin's folder (domain folder for native plugins), relative to the root. */
  dir: string;
}

export interface Discovery {
  tools: DiscoveredTool[];
  plugins: DiscoveredPlugin[];
  migrations: { owner: string; dir: string }[];
}

export function discover(root: string): Discovery {
  const tools = subdirs(root, 'tools')
    .filter((folder) => existsSync(join(root, 'tools', folder, 'tool.ts')))
    .map((folder) => ({ folder, file: `tools/${folder}/tool.ts` }));

  const plugins: DiscoveredPlugin[] = [];
  const migrations: Discovery['migrations'] = [];
  for (const domain of subdirs(root, 'domains')) {
    for (const name of files(root, `domains/${domain}/plugins`)) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name.endsWith('.d.ts')) continue;
      plugins.push({ kind: 'native', identity: `${domain}/${name.slice(0, -3)}`, file: `domains/${domain}/plugins/${name}`, dir: `domains/${domain}` });
    }
    if (existsSync(join(root, 'domains', domain, 'migrations'))) migrations.push({ owner: domain, dir: `domains/${domain}/migrations` });
  }
  for (const [kind, top, manifest] of [['sidecar', 'sidecars', 'sidecar.json'], ['wasm', 'wasm-plugins', 'plugin.json']] as const) {
    for (const name of subdirs(root, top)) {
      if (!existsSync(join(root, top, name, manifest))) continue;
      plugins.push({ kind, identity: `${kind}/${name}`, file: `${top}/${name}/${manifest}`, dir: `${top}/${name}` });
      if (existsSync(join(root, top, name, 'migrations'))) migrations.push({ owner: `${kind}/${name}`, dir: `${top}/${name}/migrations` });
    }
  }
  return { tools, plugins: refuseClashes(plugins), migrations };
}

// A plugin whose identity another already has would shadow it in every table
// keyed by identity (routes, subscriptions, the report): refuse it, naming both.
function refuseClashes(plugins: DiscoveredPlugin[]): DiscoveredPlugin[] {
  const owners = new Map<string, string>();
  // Sidecars and wasm modules first: their identities are the kernel's to give.
  for (const p of [...plugins].sort((a, b) => Number(a.kind === 'native') - Number(b.kind === 'native'))) {
    const domain = p.identity.split('/')[0]!;
    const taken = owners.get(p.identity);
    if (p.kind === 'native' && (RESERVED_DOMAINS as readonly string[]).includes(domain)) {
      p.refused = mcError('MC_ERR_PLUGIN_IDENTITY', `${p.file} is in domains/${domain}, a domain name the kernel reserves (${RESERVED_DOMAINS.join(', ')})${taken ? `; its identity ${p.identity} is ${taken}'s` : ''}`, { file: p.file, identity: p.identity });
    } else if (taken) {
      p.refused = mcError('MC_ERR_PLUGIN_IDENTITY', `${p.file} has the identity ${p.identity}, which ${taken} already has`, { file: p.file, identity: p.identity, other: taken });
    } else {
      owners.set(p.identity, p.file);
      continue;
    }
    p.identity = p.file;
  }
  return plugins;
}

function subdirs(root: string, rel: string): string[] {
  const dir = join(root, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => is(dir, e, 'directory') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function files(root: string, rel: string): string[] {
  const dir = join(root, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => is(dir, e, 'file'))
    .map((e) => e.name)
    .sort();
}

function is(dir: string, e: Dirent, what: 'directory' | 'file'): boolean {
  if (!e.isSymbolicLink()) return what === 'directory' ? e.isDirectory() : e.isFile();
  // A dangling link is neither; statSync follows the link.
  const target = statSync(join(dir, e.name), { throwIfNoEntry: false });
  return what === 'directory' ? target?.isDirectory() === true : target?.isFile() === true;
}
