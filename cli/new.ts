// `microcore new …`: lays out a plugin that boots and answers as it is. Refuses
// to overwrite anything, and says what to do next.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { goSidecar, goWasm, nativePlugin, NAME, rustSidecar, rustWasm } from './templates.ts';

export type Print = (line: string) => void;

/** Returns the exit code. */
export function runNew(root: string, args: string[], print: Print, fail: Print): number {
  const [what, ...rest] = args;
  const lang = option(rest, '--lang');
  const names = rest.filter((a, i) => !a.startsWith('--') && rest[i - 1] !== '--lang');
  if (what === 'plugin') {
    const [domain, name] = names;
    if (!domain || !name) return usage(fail, 'microcore new plugin <domain> <name>');
    if (!checkNames(fail, domain, name)) return 2;
    return write(root, nativePlugin(domain, name), print, fail, [`boot it: microcore start, then GET /${domain}/${name}`, `test it: npx vitest run domains/${domain}/plugins/${name}.test.ts`]);
  }
  if (what === 'sidecar') {
    const [name] = names;
    if (!name) return usage(fail, 'microcore new sidecar <name> --lang go|rust');
    if (!checkNames(fail, name)) return 2;
    if (lang === 'rust') return write(root, rustSidecar(name), print, fail, [`build it: microcore build (runs cargo build --release), then microcore start and GET /${name}/hello`]);
    if (lang !== 'go') return unsupported(fail, 'sidecar', lang, ['go', 'rust']);
    const code = write(root, goSidecar(name), print, fail, [`build it: microcore build (runs go build), then microcore start and GET /${name}/hello`]);
    return code === 0 ? goModTidy(root, `sidecars/${name}`, fail) : code;
  }
  if (what === 'wasm') {
    const [name] = names;
    if (!name) return usage(fail, 'microcore new wasm <name> --lang rust|go');
    if (!checkNames(fail, name)) return 2;
    if (lang === 'rust') return write(root, rustWasm(name), print, fail, [`build it: microcore build (compiles to wasm32), then microcore start and GET /${name}/hello`]);
    if (lang !== 'go') return unsupported(fail, 'wasm', lang, ['rust', 'go']);
    const code = write(root, goWasm(name), print, fail, [`build it: microcore build (compiles for wasip1), then microcore start and GET /${name}/hello`]);
    return code === 0 ? goModTidy(root, `wasm-plugins/${name}`, fail) : code;
  }
  return usage(fail, 'microcore new plugin <domain> <name> | new sidecar <name> --lang go|rust | new wasm <name> --lang rust|go');
}

// go.sum is the Go toolchain's to write: resolve the SDK's dependencies now, so the first build works.
function goModTidy(root: string, dir: string, fail: Print): number {
  const tidy = spawnSync('go', ['mod', 'tidy'], { cwd: join(root, dir), encoding: 'utf8' });
  if (tidy.status !== 0) fail(`go mod tidy in ${dir} failed (${tidy.error?.message ?? tidy.stderr.trim()}); run it there once Go can reach its module proxy.`);
  return tidy.status === 0 ? 0 : 1;
}

function write(root: string, files: Record<string, string>, print: Print, fail: Print, next: string[]): number {
  const taken = Object.keys(files).filter((p) => existsSync(join(root, p)));
  if (taken.length) {
    fail(`microcore new: ${taken.join(', ')} already exist${taken.length === 1 ? 's' : ''}; nothing was written. Pick another name, or delete ${taken.length === 1 ? 'it' : 'them'} first.`);
    return 1;
  }
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    print(`created ${path}`);
  }
  for (const line of next) print(`next: ${line}`);
  return 0;
}

function checkNames(fail: Print, ...names: string[]): boolean {
  const bad = names.find((n) => !NAME.test(n));
  if (bad) fail(`microcore new: '${bad}' is not a valid name; use lower-case words joined by '-', like create-order.`);
  return !bad;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function usage(fail: Print, line: string): number {
  fail(`usage: ${line}`);
  return 2;
}

function unsupported(fail: Print, what: string, lang: string | undefined, langs: string[]): number {
  fail(`microcore new ${what}: ${lang ? `--lang ${lang} is not available` : '--lang is required'}; use --lang ${langs.join(' or ')}.`);
  return 2;
}
