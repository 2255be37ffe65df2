// Which topics a plugin publishes and requests, read from its source: literal
// topics, and topic values (`topic('order.created', …)`, kernel/schema-types.ts)
// defined in the file or in a module it imports by relative path (a topic built
// at run time is shown as a pattern, or not at all).
// Native plugins are parsed (types stripped, then acorn); Go and Rust sources
// are matched line by line against their SDK's call shapes.
import { parse, type Node } from 'acorn';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, resolve } from 'node:path';

export interface TopicUse {
  publishes: string[];
  requests: string[];
}

export function scanNativePlugin(file: string): TopicUse {
  const use: TopicUse = { publishes: [], requests: [] };
  let program: Node;
  try {
    program = parse(stripTypeScriptTypes(readFileSync(file, 'utf8')), { ecmaVersion: 'latest', sourceType: 'module' });
  } catch {
    return use;
  }
  const topics = topicValues(file, program);
  walk(program, (node) => {
    if (node.type !== 'CallExpression') return;
    const call = node as Node & { callee: Node & { property?: Node & { name?: string } }; arguments: Node[] };
    const method = call.callee.type === 'MemberExpression' ? call.callee.property?.name : undefined;
    if (method !== 'publish' && method !== 'request') return;
    const arg = call.arguments[0] as (Node & { properties?: (Node & { key?: Node & { name?: string }; value?: Node })[] }) | undefined;
    const topic = arg?.type === 'ObjectExpression' ? arg.properties?.find((p) => p.key?.name === 'topic')?.value : undefined;
    const text = topic && (topic.type === 'Identifier' ? topics.get((topic as Node & { name: string }).name) : literal(topic));
    if (text) (method === 'publish' ? use.publishes : use.requests).push(text);
  });
  return tidy(use);
}

// `const OrderCreated = topic('order.created', …)`: the name a value stands for.
const TOPIC_VALUE = /\bconst\s+(\w+)\s*=\s*topic\(\s*(['"`])([^'"`]+)\2/g;

/** Local name → topic, for topic values defined in the file or imported from a relative module. */
function topicValues(file: string, program: Node): Map<string, string> {
  const out = new Map<string, string>();
  const defined = (path: string) => {
    try {
      return new Map([...readFileSync(path, 'utf8').matchAll(TOPIC_VALUE)].map((m) => [m[1]!, m[3]!]));
    } catch {
      return new Map<string, string>();
    }
  };
  for (const [name, topic] of defined(file)) out.set(name, topic);
  for (const decl of (program as Node & { body: Node[] }).body) {
    const d = decl as Node & { source?: { value?: unknown }; specifiers?: (Node & { imported?: { name?: string }; local: { name: string } })[] };
    if (d.type !== 'ImportDeclaration' || typeof d.source?.value !== 'string' || !d.source.value.startsWith('.')) continue;
    const there = defined(resolve(dirname(file), d.source.value));
    for (const spec of d.specifiers ?? []) {
      const topic = spec.imported?.name && there.get(spec.imported.name);
      if (topic) out.set(spec.local.name, topic);
    }
  }
  return out;
}

/** A string or template literal as text; `${…}` shows as `*`. */
function literal(node: Node): string | undefined {
  if (node.type === 'Literal' && typeof (node as Node & { value: unknown }).value === 'string') return (node as Node & { value: string }).value;
  if (node.type === 'TemplateLiteral') return (node as Node & { quasis: { value: { cooked: string } }[] }).quasis.map((q) => q.value.cooked).join('*');
  return undefined;
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  const n = node as Node & Record<string, unknown>;
  if (typeof n.type === 'string') visit(n);
  for (const [k, v] of Object.entries(n)) if (k !== 'loc' && typeof v === 'object') walk(v, visit);
}

// A literal topic argument, not the start of a concatenation ("parity." + to).
const GO = /\.Bus\.(Publish|Request)\(\s*\w+\s*,\s*"([^"]+)"\s*[,)]/g;
const RUST = /bus::(publish|request)\(\s*"([^"]+)"\s*[,)]/g;

/** Topics in the .go or .rs files of a sidecar or wasm plugin folder. */
export function scanPluginFolder(dir: string): TopicUse {
  const use: TopicUse = { publishes: [], requests: [] };
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(file.endsWith('.go') ? GO : RUST)) (m[1]!.toLowerCase() === 'publish' ? use.publishes : use.requests).push(m[2]!);
  }
  return tidy(use);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    if (name === 'target' || name === 'bin' || name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if ((name.endsWith('.go') && !name.endsWith('_test.go')) || name.endsWith('.rs')) out.push(path);
  }
  return out;
}

function tidy(use: TopicUse): TopicUse {
  return { publishes: [...new Set(use.publishes)].sort(), requests: [...new Set(use.requests)].sort() };
}
