// A plugin's settings for the tools it needs: which hosts the fetch tool may
// reach for it, say. A sidecar or wasm manifest gives them as `"tools": {
// "<tool>": { ... } }`, a native plugin as a static class property `static tools
// = { <tool>: { ... } }`. The kernel checks only the shape (an object keyed by
// tools the plugin needs, each value an object of JSON values) and hands each
// tool its part with every call (CallContext.settings); what the fields mean is
// the tool's to say and check (docs/manifests.md, docs/tools/<tool>.md).
import type { ErrorCode } from './errors.ts';
import { mcError } from './errors.ts';

/** Tool name -> that tool's settings for one plugin. Frozen: a tool reads them, never changes them. */
export type ToolSettings = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export const NO_TOOL_SETTINGS: ToolSettings = Object.freeze({});

/**
 * `raw` checked and frozen. `where` names what to edit ("sidecars/x/sidecar.json
 * field 'tools'", "domains/a/plugins/b.ts static tools"); `needs` are the tools
 * the plugin declared (settings for any other tool are refused: a typo or a
 * forgotten need must not pass silently).
 */
export function checkToolSettings(raw: unknown, where: string, needs: readonly string[], code: ErrorCode, details: Record<string, string>): ToolSettings {
  if (raw === undefined) return NO_TOOL_SETTINGS;
  const fail = (why: string, fix: string) => mcError(code, `${where} ${why}`, details, undefined, fix);
  if (!isObject(raw)) throw fail(`must be an object of per-tool settings, like { "fetch": { "allow": ["api.example.org"] } }, got ${describe(raw)}`, 'Give an object keyed by tool names, each value an object of that tool\'s settings (docs/manifests.md).');
  const out: Record<string, Readonly<Record<string, unknown>>> = {};
  for (const [tool, value] of Object.entries(raw)) {
    if (!needs.includes(tool)) throw fail(`has settings for tool '${tool}', which it does not need (needs: ${needs.join(', ') || 'none'})`, `Add '${tool}' to what it needs, or remove its settings.`);
    if (!isObject(value)) throw fail(`has settings for tool '${tool}' that are not an object: ${describe(value)}`, `Make the settings of '${tool}' an object (docs/tools/${tool}.md lists its fields).`);
    let copy: Record<string, unknown>;
    try {
      // A copy of plain JSON data: no functions, no shared references a plugin could change later.
      copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
    } catch (err) {
      throw fail(`has settings for tool '${tool}' that are not plain JSON data (${(err as Error).message})`, `Use only strings, numbers, booleans, null, arrays and objects in the settings of '${tool}'.`);
    }
    out[tool] = deepFreeze(copy);
  }
  return Object.freeze(out);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : JSON.stringify(v) ?? typeof v;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
