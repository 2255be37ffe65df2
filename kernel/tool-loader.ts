// Loads tools/<folder>/tool.ts: imports each, reads the contract name it serves,
// keeps the drivers the settings choose (a tool class's static `enabled(env)`:
// SQLite or PostgreSQL behind `db`), and refuses two chosen folders serving one
// name (MicroCoreOS let the last one win silently; here the boot fails naming both).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DiscoveredTool } from './discovery.ts';
import { mcError } from './errors.ts';
import type { ToolClass, Tool } from './tool.ts';

export interface LoadedTool {
  contract: string;
  folder: string;
  file: string;
  instance: Tool;
}

export interface ToolLoadFailure {
  folder: string;
  file: string;
  reason: string;
  code: string;
}

export async function loadTools(root: string, found: DiscoveredTool[], env: Readonly<Record<string, string | undefined>>): Promise<{ tools: LoadedTool[]; failures: ToolLoadFailure[] }> {
  const tools: LoadedTool[] = [];
  const failures: ToolLoadFailure[] = [];
  for (const t of found) {
    try {
      const mod = (await import(pathToFileURL(join(root, t.file)).href)) as { default?: ToolClass };
      const cls = mod.default;
      if (typeof cls !== 'function' || typeof cls.contract !== 'string' || !cls.contract) {
        throw mcError('MC_ERR_TOOL_SETUP', `${t.file} must default-export a tool class with a static 'contract' naming what it serves (e.g. static contract = 'db')`, { file: t.file });
      }
      if (cls.enabled && !cls.enabled(env)) continue;
      tools.push({ contract: cls.contract, folder: `tools/${t.folder}`, file: t.file, instance: new cls() });
    } catch (err) {
      const e = err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('MC_') ? err : mcError('MC_ERR_TOOL_SETUP', `${t.file} failed to load: ${(err as Error).message}`, { file: t.file }, err, 'Fix the module: a wrong import path, a syntax error or a missing npm package is the usual cause.');
      failures.push({ folder: `tools/${t.folder}`, file: t.file, reason: e.message, code: (e as { code: string }).code });
    }
  }
  const byContract = new Map<string, LoadedTool>();
  for (const tool of tools) {
    const other = byContract.get(tool.contract);
    if (other) {
      throw mcError('MC_ERR_TOOL_DUPLICATE', `${other.folder} and ${tool.folder} both serve the contract '${tool.contract}'`, { contract: tool.contract, first: other.folder, second: tool.folder }, undefined, 'Remove one folder, or give the drivers a static enabled(env) that picks one by configuration.');
    }
    byContract.set(tool.contract, tool);
  }
  return { tools, failures };
}

/** The methods a tool instance serves for its contract, bound to it. */
export function toolMethods(instance: Tool, names: string[]): Record<string, (input: unknown, call: unknown) => unknown> {
  const methods: Record<string, (input: unknown, call: unknown) => unknown> = {};
  for (const name of names) {
    const fn = (instance as unknown as Record<string, unknown>)[name];
    if (typeof fn === 'function') methods[name] = fn.bind(instance) as never;
  }
  return methods;
}
