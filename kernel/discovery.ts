// Finds everything by folder convention: zero wiring, zero central config.
//   tools/<folder>/tool.ts               a tool
//   domains/<domain>/plugins/<name>.ts   a native plugin, identity <domain>/<name>
//   sidecars/<name>/sidecar.json         a sidecar, identity sidecar/<name>
//   wasm-plugins/<name>/plugin.json      a wasm module, identity wasm/<name>
//   */migrations/                        SQL the db tool applies, per domain or plugin folder
// Everything is sorted, so two runs over one tree find the same things in the same order.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface DiscoveredTool {
  folder: string;
  /** tools/<folder>/tool.ts, relative to the root. */
  file: string;
}

export interface DiscoveredPlugin {
  kind: 'native' | 'sidecar' | 'wasm';
  identity: string;
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
  return { tools, plugins, migrations };
}

function subdirs(root: string, rel: string): string[] {
  const dir = join(root, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function files(root: string, rel: string): string[] {
  const dir = join(root, rel);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}
