// `microcore add` / `microcore remove` on a copy of this repository (its tracked
// and new files, node_modules and .tools linked) made a git repository of its own:
// a catalog entry written by the test goes in with its contract generated for TS
// and Go, its insert lines and AI_CONTEXT.md, and comes out leaving `git status`
// clean. The real catalog entries are added and tested in every hosting by .ci/run.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from './project.ts';

let root: string;

const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
const microcore = (...args: string[]) => spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', join(root, 'cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
};

const ENTRY = 'catalog/greeter';
const TOOL = `// A greeter: says hello.
export default class Greeter {
  static readonly contract = 'greeter';
  hello(input: { name: string }) {
    return { text: \`hello, \${input.name}\` };
  }
}
`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mc-catalog-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) if (existsSync(join(REPO, f))) cpSync(join(REPO, f), join(root, f), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  symlinkSync(join(REPO, '.tools'), join(root, '.tools'));
  write(`${ENTRY}/catalog.json`, JSON.stringify({ name: 'greeter', summary: 'says hello', inserts: [{ file: 'sdk/rust/src/lib.rs', after: '// microcore add: tool modules', line: 'pub mod greeter;' }] }, null, 2));
  write(`${ENTRY}/files/tools/greeter/tool.ts`, TOOL);
  write(`${ENTRY}/files/proto/microcore/v1/greeter.proto`, `syntax = "proto3";

package microcore.v1;

option go_package = "microcore.dev/sdk/go/gen/microcorev1;microcorev1";

// Says hello.
service Greeter {
  // Greets by name.
  rpc Hello(HelloRequest) returns (HelloResponse);
}

message HelloRequest {
  string name = 1;
}

message HelloResponse {
  string text = 1;
}
`);
  write(`${ENTRY}/files/sdk/rust/src/greeter.rs`, '//! Says hello.\n');
  // The baseline: AI_CONTEXT.md as this copy generates it (no sidecar binaries here), committed.
  expect(microcore('context').status).toBe(0);
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'baseline');
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('microcore add / remove', () => {
  it('refuses a name not in the catalog and lists what is', () => {
    const run = microcore('add', 'nope');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("'nope' is not in the catalog (catalog/)");
    expect(run.stderr).toMatch(/greeter\s+says hello/);
    expect(git('status', '--porcelain')).toBe('');
  });

  it('adds a tool: its files, its insert line, its contract generated for TS and Go, AI_CONTEXT.md', () => {
    const run = microcore('add', 'greeter');
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(join(root, 'tools/greeter/tool.ts'), 'utf8')).toBe(TOOL);
    expect(readFileSync(join(root, 'sdk/rust/src/lib.rs'), 'utf8')).toContain('// microcore add: tool modules\npub mod greeter;\n');
    expect(readFileSync(join(root, 'proto/gen/services.ts'), 'utf8')).toContain('greeter: Greeter,');
    expect(existsSync(join(root, 'proto/gen/microcore/v1/greeter_pb.js'))).toBe(true);
    expect(existsSync(join(root, 'sdk/go/gen/microcorev1/greeter_grpc.pb.go'))).toBe(true);
    expect(readFileSync(join(root, 'AI_CONTEXT.md'), 'utf8')).toContain('greeter.hello(');
    // The kernel loads it as a tool of the contract.
    expect(microcore('status').stdout).toMatch(/ok\s+tool\s+greeter\s/);
  }, 120_000);

  it('adding again is a no-op that says so', () => {
    const before = git('status', '--porcelain');
    const run = microcore('add', 'greeter');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('greeter is already added: nothing to do');
    expect(git('status', '--porcelain')).toBe(before);
  });

  it('refuses to remove a tool whose files were changed, naming them, and changes nothing', () => {
    const file = join(root, 'tools/greeter/tool.ts');
    writeFileSync(file, TOOL + '// mine\n');
    const run = microcore('remove', 'greeter');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('tools/greeter/tool.ts');
    expect(readFileSync(file, 'utf8')).toContain('// mine');
    writeFileSync(file, TOOL);
  });

  it('removes it again: git status clean, and a second remove says there is nothing to remove', () => {
    const run = microcore('remove', 'greeter');
    expect(run.status, run.stderr).toBe(0);
    expect(git('status', '--porcelain')).toBe('');
    const again = microcore('remove', 'greeter');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('greeter is not added: nothing to remove');
  }, 120_000);
});
