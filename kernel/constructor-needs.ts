// Reads which tools a native plugin needs from its constructor, before it is
// constructed: `constructor({ http, db, logger = undefined }: Tools)` needs http
// and db, and takes logger if there is one. Parsed with a real JS parser (acorn)
// from the class source, which Node's type stripping leaves as plain JS.
import { parse, type Node } from 'acorn';

export interface Need {
  tool: string;
  optional: boolean;
}

/** The needs of a class, or a reason it cannot be read (returned, not thrown). */
export function readConstructorNeeds(cls: Function): Need[] | string {
  let program;
  try {
    program = parse(`(${cls.toString()})`, { ecmaVersion: 'latest', sourceType: 'module' });
  } catch (err) {
    return `its class source could not be parsed (${(err as Error).message})`;
  }
  const expr = (program.body[0] as Node & { expression: Node & { body?: { body: Node[] } } }).expression;
  if (expr.type !== 'ClassExpression') return 'its export is not a class';
  const ctor = expr.body!.body.find((m) => m.type === 'MethodDefinition' && (m as Node & { kind: string }).kind === 'constructor') as (Node & { value: { params: Node[] } }) | undefined;
  if (!ctor) return [];
  const params = ctor.value.params;
  if (params.length === 0) return [];
  let pattern = params[0]!;
  if (pattern.type === 'AssignmentPattern') pattern = (pattern as Node & { left: Node }).left;
  if (params.length > 1 || pattern.type !== 'ObjectPattern') {
    return 'its constructor must take one destructured parameter, like constructor({ db, logger }: Tools)';
  }
  const needs: Need[] = [];
  for (const prop of (pattern as Node & { properties: Node[] }).properties) {
    if (prop.type === 'RestElement') return 'its constructor parameter uses ...rest; name each tool it needs';
    const p = prop as Node & { key: Node & { name?: string; value?: unknown }; value: Node; computed: boolean };
    const name = p.key.type === 'Identifier' ? p.key.name : typeof p.key.value === 'string' ? p.key.value : undefined;
    if (p.computed || !name) return 'its constructor parameter has a computed key; name each tool it needs';
    needs.push({ tool: name, optional: p.value.type === 'AssignmentPattern' });
  }
  return needs;
}
