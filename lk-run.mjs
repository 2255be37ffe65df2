import createPlugin from '@extism/extism';
import { readFileSync } from 'node:fs';
const p = await createPlugin({ wasm: [{ data: readFileSync('/tmp/lk/a.wasm') }] }, { useWasi: true, runInWorker: true });
const out = await p.call('hello', new Uint8Array());
console.log('out', out);
