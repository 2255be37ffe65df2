// The contract's own words for AI_CONTEXT.md: each service's and method's
// leading comment, read from proto/microcore/v1/*.proto (the generated
// descriptors carry no comments).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServiceDocs {
  service: string;
  doc: string;
  methods: Map<string, string>;
}

export function readProtoDocs(protoDir: string): Map<string, ServiceDocs> {
  const out = new Map<string, ServiceDocs>();
  for (const file of readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort()) {
    const lines = readFileSync(join(protoDir, file), 'utf8').split('\n');
    let comment: string[] = [];
    let current: ServiceDocs | undefined;
    for (const raw of lines) {
      const line = raw.trim();
      if (line.startsWith('//')) {
        comment.push(line.replace(/^\/\/\s?/, ''));
        continue;
      }
      const service = /^service (\w+) \{/.exec(line);
      const rpc = /^rpc (\w+)\(/.exec(line);
      if (service) out.set(service[1]!, (current = { service: service[1]!, doc: comment.join(' '), methods: new Map() }));
      else if (rpc && current) current.methods.set(rpc[1]!, comment.join(' '));
      else if (line === '}') current = undefined;
      comment = [];
    }
  }
  return out;
}
