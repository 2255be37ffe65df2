// Reads and checks sidecar.json and plugin.json. Every field has a default (or is
// required) and a type; an unknown or wrong field fails that plugin alone with
// MC_ERR_MANIFEST_INVALID naming the file and the field. docs/manifests.md
// documents each field.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { durationMs } from './durations.ts';
import { mcError } from './errors.ts';
import { checkToolSettings, type ToolSettings } from './tool-settings.ts';

export interface SidecarManifest {
  name: string;
  description: string;
  /** Program to run, relative to the sidecar's folder (or a name on PATH); '' with `address`. */
  command: string;
  /** A sidecar already running, to attach to instead of starting one: host:port, or an absolute Unix socket path. */
  address: string;
  /** With `address`: the sidecar's certificate file (PEM), relative to the folder; the kernel accepts only it. */
  cert: string;
  args: string[];
  /** Command (run in the folder) that builds the program; `npm run build` runs it. */
  build: string[];
  needs: string[];
  /** Per-tool settings, keyed by tools in `needs` (kernel/tool-settings.ts). */
  tools: ToolSettings;
  env: Record<string, string>;
  /** Variables of the kernel's settings passed to the sidecar by name (kernel/sidecar-env.ts). */
  passEnv: string[];
  config: Record<string, string>;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** How long one handler call into the sidecar may take before it fails (MC_ERR_HANDLER_FAILED). */
  callTimeoutMs: number;
  restart: RestartPolicy;
}

export const RESTART_POLICIES = ['on-failure', 'never'] as const;

export interface RestartPolicy {
  /** on-failure: restart a sidecar that exits while it should run; never: leave it dead. */
  policy: (typeof RESTART_POLICIES)[number];
  /** The first restart's delay, in ms; each next one doubles (up to 30 s). */
  backoffMs: number;
  /** More restarts than this within windowMs is a crash loop: the sidecar stays failed. */
  maxRestarts: number;
  windowMs: number;
}

// worker: its own thread, calls can time out (limits.timeoutMs). main: the kernel's
// thread, far cheaper per tool call (JSPI suspends the guest while the tool runs),
// but a runaway call cannot be stopped: for trusted modules only.
export const WASM_MODES = ['worker', 'main'] as const;

export interface WasmManifest {
  name: string;
  description: string;
  /** The .wasm file, relative to the plugin's folder. */
  module: string;
  /** Hex sha256 of the module; checked at load when set. */
  sha256: string;
  build: string[];
  needs: string[];
  /** Per-tool settings, keyed by tools in `needs` (kernel/tool-settings.ts). */
  tools: ToolSettings;
  /** memoryMaxPages (64 KiB pages) caps the guest's linear memory, and Extism's buffers apart from it. */
  limits: { timeoutMs: number; memoryMaxPages: number };
  config: Record<string, string>;
  mode: (typeof WASM_MODES)[number];
  /** Hosts Extism's own http_request may reach; empty turns it off. */
  allowedHosts: string[];
  /** Give the module WASI preview 1 (Go's wasip1 modules need it). */
  wasi: boolean;
  /** Worker mode: how many instances serve calls in parallel (default: the core count, at most MAX_WASM_INSTANCES). */
  instances: number;
}

// Each instance is a thread with its own copy of the guest's memory: past this,
// more instances cost memory without adding cores on any machine we expect.
export const MAX_WASM_INSTANCES = 16;

type Raw = Record<string, unknown>;

export function readSidecarManifest(root: string, file: string, folderName: string): SidecarManifest {
  const raw = readJson(root, file);
  const f = new Fields(raw, file);
  const restart = new Fields(f.object('restart', {}), `${file} restart`);
  const m: SidecarManifest = {
    name: f.string('name'),
    description: f.string('description', ''),
    command: f.string('command', ''),
    address: f.string('address', ''),
    cert: f.string('cert', ''),
    args: f.strings('args', []),
    build: f.strings('build', []),
    needs: f.strings('needs', []),
    tools: toolSettings(f, raw, file),
    env: f.stringMap('env', {}),
    passEnv: f.strings('passEnv', []),
    config: f.stringMap('config', {}),
    startTimeoutMs: f.duration('startTimeoutMs', 10_000),
    stopTimeoutMs: f.duration('stopTimeoutMs', 5_000),
    callTimeoutMs: f.duration('callTimeoutMs', 30_000),
    restart: {
      policy: restart.oneOf('policy', RESTART_POLICIES, 'on-failure'),
      backoffMs: restart.duration('backoffMs', 500),
      maxRestarts: restart.number('maxRestarts', 5),
      windowMs: restart.duration('windowMs', 60_000),
    },
  };
  restart.done();
  f.done();
  checkName(file, m.name, folderName);
  checkVarNames(file, m.passEnv);
  checkHosting(file, m, raw);
  if (m.command) checkInside(root, file, 'command', m.command, true);
  if (m.cert) checkInside(root, file, 'cert', m.cert, false);
  if (m.build[0]) checkInside(root, file, 'build', m.build[0], true);
  return m;
}

export function readWasmManifest(root: string, file: string, folderName: string): WasmManifest {
  const raw = readJson(root, file);
  const f = new Fields(raw, file);
  const limits = new Fields(f.object('limits', {}), `${file} limits`);
  const m: WasmManifest = {
    name: f.string('name'),
    description: f.string('description', ''),
    module: f.string('module'),
    sha256: f.string('sha256', ''),
    build: f.strings('build', []),
    needs: f.strings('needs', []),
    tools: toolSettings(f, raw, file),
    limits: { timeoutMs: limits.duration('timeoutMs', 5_000), memoryMaxPages: limits.integer('memoryMaxPages', 4096, 1, 65_536) },
    config: f.stringMap('config', {}),
    mode: f.oneOf('mode', WASM_MODES, 'worker'),
    allowedHosts: f.strings('allowedHosts', []),
    wasi: f.boolean('wasi', false),
    instances: f.integer('instances', Math.min(availableParallelism(), MAX_WASM_INSTANCES), 1, 64),
  };
  limits.done();
  // One thread cannot run two instances at once: a pool on the main thread would only take turns.
  if (m.mode === 'main' && raw.instances !== undefined && m.instances !== 1) {
    throw mcError('MC_ERR_MANIFEST_INVALID', `${file} field 'instances' is ${m.instances}, but "mode": "main" runs one instance on the kernel's thread. Use "mode": "worker" for a pool, or remove 'instances'.`, { file, field: 'instances' });
  }
  f.done();
  checkName(file, m.name, folderName);
  checkInside(root, file, 'module', m.module, false);
  if (m.build[0]) checkInside(root, file, 'build', m.build[0], true);
  return m;
}

// Settings may name only tools the manifest needs (read again here: field order does not matter).
function toolSettings(f: Fields, raw: Raw, file: string): ToolSettings {
  f.object('tools', {});
  return checkToolSettings(raw.tools, `${file} field 'tools'`, f.strings('needs', []), 'MC_ERR_MANIFEST_INVALID', { file, field: 'tools' });
}

function readJson(root: string, file: string): Raw {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (err) {
    throw mcError('MC_ERR_MANIFEST_INVALID', `${file} cannot be read`, { file }, err);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw mcError('MC_ERR_MANIFEST_INVALID', `${file} is not valid JSON (${(err as Error).message})`, { file }, err);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw mcError('MC_ERR_MANIFEST_INVALID', `${file} must hold a JSON object`, { file });
  return raw as Raw;
}

function checkName(file: string, name: string, folder: string): void {
  if (name !== folder) throw mcError('MC_ERR_MANIFEST_INVALID', `${file} field 'name' is '${name}' but its folder is '${folder}'; they must match`, { file, field: 'name' });
}

// A sidecar is started (command) or attached to (address, with the certificate
// that stands in for the handshake line); never both, and a field that only
// means something for a started process is refused rather than ignored.
function checkHosting(file: string, m: SidecarManifest, raw: Raw): void {
  const invalid = (field: string, why: string) => mcError('MC_ERR_MANIFEST_INVALID', `${file} ${why}`, { file, field });
  if (!m.address) {
    if (!m.command) throw invalid('command', `lacks the required field 'command' (the program to start), or 'address' (a sidecar already running, to attach to)`);
    if (m.cert) throw invalid('cert', `has 'cert' without 'address': the certificate of a started sidecar comes from its handshake line. Remove 'cert', or add 'address'.`);
    return;
  }
  if (m.command) throw invalid('address', `has both 'command' and 'address' ('${m.address}'): the kernel either starts the sidecar or attaches to one already running. Remove one of them.`);
  const spawnOnly = ['args', 'env', 'passEnv'].find((k) => raw[k] !== undefined);
  if (spawnOnly) throw invalid(spawnOnly, `has '${spawnOnly}', which only a sidecar the kernel starts gets, and 'address' ('${m.address}'), a sidecar started elsewhere. Give the running sidecar its settings where it is started, and remove '${spawnOnly}'.`);
  if (!/^(\/.+|\[[0-9A-Fa-f:.]+\]:\d{1,5}|[A-Za-z0-9.-]+:\d{1,5})$/.test(m.address)) throw invalid('address', `field 'address' is '${m.address}', which is neither host:port (127.0.0.1:7001, [::1]:7001, sidecar.internal:7001) nor an absolute Unix socket path`);
  if (!m.cert) throw invalid('cert', `has 'address' but no 'cert': the kernel accepts only the certificate it pins. Set 'cert' to the sidecar's certificate file (its MICROCORE_TLS_DIR/sidecar.crt), copied into the sidecar's folder or named by absolute path.`);
}

// MICROCORE_* is the handshake's: the kernel sets those itself.
function checkVarNames(file: string, names: string[]): void {
  const bad = names.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) || n.startsWith('MICROCORE_'));
  if (bad !== undefined) throw mcError('MC_ERR_MANIFEST_INVALID', `${file} field 'passEnv' lists ${JSON.stringify(bad)}, which is not a variable name it may pass (letters, digits and _, not starting with a digit or MICROCORE_)`, { file, field: 'passEnv' });
}

/**
 * A relative path a manifest names (from its folder) must stay inside the
 * project: not a security boundary — the manifest's author runs code anyway —
 * but a typo such as one `../` too many must not run a program from elsewhere.
 * An absolute path is taken as meant (tests point at a binary elsewhere so), and
 * a bare program name (no `/`) is looked up on PATH, as a shell would.
 */
function checkInside(root: string, file: string, field: string, path: string, bareFromPath: boolean): void {
  if ((bareFromPath && !path.includes('/')) || isAbsolute(path)) return;
  const full = resolve(dirname(join(root, file)), path);
  const rel = relative(resolve(root), full);
  if (rel === '' || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
    const bare = bareFromPath ? ', or a bare program name to look up on PATH' : '';
    throw mcError('MC_ERR_MANIFEST_INVALID', `${file} field '${field}' is '${path}', which resolves to ${full}, outside the project ${resolve(root)}. Name a path inside the project${bare}.`, { file, field });
  }
}

/** Typed reads of a manifest object that remember which keys were read. */
class Fields {
  #raw: Raw;
  #file: string;
  #seen = new Set<string>();

  constructor(raw: Raw, file: string) {
    this.#raw = raw;
    this.#file = file;
  }

  #get(key: string, fallback: unknown, ok: (v: unknown) => boolean, expected: string): unknown {
    this.#seen.add(key);
    const v = this.#raw[key];
    if (v === undefined) {
      if (fallback === undefined) throw mcError('MC_ERR_MANIFEST_INVALID', `${this.#file} lacks the required field '${key}' (${expected})`, { file: this.#file, field: key });
      return fallback;
    }
    if (!ok(v)) throw mcError('MC_ERR_MANIFEST_INVALID', `${this.#file} field '${key}' must be ${expected}, got ${JSON.stringify(v)}`, { file: this.#file, field: key });
    return v;
  }

  string(key: string, fallback?: string): string {
    return this.#get(key, fallback, (v) => typeof v === 'string' && (fallback !== undefined || v.length > 0), 'a non-empty string') as string;
  }

  /** A duration in ms (kernel/durations.ts): a whole number up to a timer's range. */
  duration(key: string, fallback: number): number {
    this.#seen.add(key);
    return durationMs(this.#raw[key], `${this.#file} field '${key}'`, fallback, 'MC_ERR_MANIFEST_INVALID');
  }

  number(key: string, fallback: number): number {
    return this.#get(key, fallback, (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a number ≥ 0') as number;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    return this.#get(key, fallback, (v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, `a whole number from ${min} to ${max}`) as number;
  }

  boolean(key: string, fallback: boolean): boolean {
    return this.#get(key, fallback, (v) => typeof v === 'boolean', 'true or false') as boolean;
  }

  strings(key: string, fallback: string[]): string[] {
    return [...(this.#get(key, fallback, (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'an array of strings') as string[])];
  }

  stringMap(key: string, fallback: Record<string, string>): Record<string, string> {
    return { ...(this.#get(key, fallback, (v) => isObject(v) && Object.values(v).every((s) => typeof s === 'string'), 'an object of strings') as Record<string, string>) };
  }

  object(key: string, fallback: Raw): Raw {
    return this.#get(key, fallback, isObject, 'an object') as Raw;
  }

  oneOf<T extends string>(key: string, options: readonly T[], fallback: T): T {
    return this.#get(key, fallback, (v) => options.includes(v as T), `one of ${options.map((o) => `"${o}"`).join(', ')}`) as T;
  }

  /** Fails on any key no read asked for: a typo must not pass silently. */
  done(): void {
    const unknown = Object.keys(this.#raw).filter((k) => !this.#seen.has(k));
    if (unknown.length) throw mcError('MC_ERR_MANIFEST_INVALID', `${this.#file} has unknown field '${unknown[0]}' (known: ${[...this.#seen].join(', ')})`, { file: this.#file, field: unknown[0]! });
  }
}

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
