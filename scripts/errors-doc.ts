// Writes docs/errors.md from the error registry (kernel/errors.ts) and the
// meanings in proto/microcore/v1/error.proto. `npm run gen` runs it; a test
// fails when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, ERROR_CODES } from '../kernel/index.ts';

const GRPC_NAMES: Record<number, string> = { 2: 'UNKNOWN', 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 8: 'RESOURCE_EXHAUSTED', 12: 'UNIMPLEMENTED', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };

export function renderErrorsDoc(): string {
  // The generated descriptors carry no comments, so read them from the proto.
  const proto = readFileSync(join(import.meta.dirname, '..', 'proto', 'microcore', 'v1', 'error.proto'), 'utf8');
  const meaning = new Map([...proto.matchAll(/((?:\s*\/\/[^\n]*\n)+)\s*ERROR_CODE_(\w+) = \d+;/g)].map((m) => [`MC_ERR_${m[2]}`, m[1]!.replace(/\s*\/\/\s?/g, ' ').trim()]));
  const rows = [...ERROR_CODES].sort().map((code) => `| \`${code}\` | ${ERRORS[code].http} | ${GRPC_NAMES[ERRORS[code].grpc] ?? ERRORS[code].grpc} | ${meaning.get(code) || '—'} | ${ERRORS[code].fix} |`);
  return `# Error codes

Generated from \`kernel/errors.ts\` and \`proto/microcore/v1/error.proto\` by
\`scripts/errors-doc.ts\` (\`npm run gen\`); do not edit by hand. Every hosting
returns these codes alike (\`microcore.v1.Error.code\`); branch on the code, never
on the message.

The gRPC column is the status code a sidecar's failed tool call carries (the
packed microcore.v1.Error in its details says the rest; docs/protocol.md).

| Code | HTTP | gRPC | Meaning | Fix |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

## What a client sees

An HTTP client gets \`{ "error": { code, message, details } }\` with the status above.
A 4xx shows its message and details in full, except database errors: for those
(and for every 5xx) the message names only the request and its \`X-Request-ID\`,
and the details keep \`kind\`, \`requestId\` and, for \`MC_ERR_DB_UNIQUE\` and
\`MC_ERR_DB_CONSTRAINT\`, \`columns\` (which fields clashed, comma-separated: the
client's to fix). SQL, table names and the database's own message stay in the
server log under that request id. \`HTTP_EXPOSE_ERRORS=true\` shows everything
(development only).

## Raising one from a plugin

A handler's error reads the same whichever language raised it: the message a
client and the log see is \`<code>: <what>. <fix>\`, the fix being the code's
entry above unless the plugin gives its own (the catalogue's hint for a generic
code rarely fits a plugin's own check). The kernel writes that shape for sidecars
and wasm modules too; details pass unchanged.

| | the error | with a fix of the plugin's own |
| --- | --- | --- |
| TypeScript | \`\` mcError('MC_ERR_NOT_FOUND', \`no user with id \${id}\`, { id }) \`\` | \`mcError(code, what, details, cause, 'Ask for 1 to 50.')\` |
| Go | \`microcore.Errorf(microcore.CodeNotFound, "no user with id %d", id)\` | \`.WithFix("Ask for 1 to 50.")\` |
| Rust | \`Error::new(codes::NOT_FOUND, format!("no user with id {id}")).with_detail("id", id.to_string())\` | \`.with_fix("Ask for 1 to 50.")\` |
`;
}

if (import.meta.main) writeFileSync(join(import.meta.dirname, '..', 'docs', 'errors.md'), renderErrorsDoc());
