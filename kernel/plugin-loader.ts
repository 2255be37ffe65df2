// Turns a discovered plugin into a host: reads what it needs (the constructor
// pattern of a native class, the manifest's `needs` otherwise), checks each need
// against the loaded tools, and builds the host. Any problem fails that plugin
// alone, with a message naming its file.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTRACT, isContractName } from './contract.ts';
import { readConstructorNeeds, type Need } from './constructor-needs.ts';
import type { DiscoveredPlugin } from './discovery.ts';
import { mcError, toMcError } from './errors.ts';
import type { Gateway } from './gateway.ts';
import type { KernelLog } from './log.ts';
import { readSidecarManifest, readWasmManifest, type RestartPolicy } from './manifest.ts';
import { NativeHandlers, NativeHost, type NativePlugin } from './native-host.ts';
import type { PluginHost } from './plugin-host.ts';
import { SidecarHost } from './sidecar-host.ts';
import type { ToolCaller, ToolSlot } from './tool-call.ts';
import { createToolProxy } from './tool-proxy.ts';
import { checkToolSettings } from './tool-settings.ts';
import { importCurrent, moduleGenerationsEnabled } from './module-generations.ts';
import type { SubscriptionTable } from './subscription-table.ts';
import type { AttachPoint } from './sidecar-ports.ts';
import type { ToolServer } from './tool-server.ts';
import { WasmHost } from './wasm-host.ts';

export interface LoaderDeps {
  root: string;
  /** The kernel's settings (sidecars get the names their manifest's passEnv lists). */
  env: Readonly<Record<string, string | undefined>>;
  /** Tools that set up, by contract name. */
  tools: ReadonlyMap<string, ToolSlot>;
  /** Every contract name a tool folder declared, set up or not (for messages). */
  declared: ReadonlySet<string>;
  toolCaller: ToolCaller;
  gateway: Gateway;
  subscriptions: SubscriptionTable;
  toolServer(): Promise<ToolServer>;
  attachPoint(): Promise<AttachPoint>;
  socketDir(): string;
  log(identity: string): KernelLog;
  onSidecarExit(host: SidecarHost, policy: RestartPolicy, reason: string, attached: boolean): void;
  /** A wasm module's instance was booted again after a timeout or a trap. */
  onWasmReboot(identity: string): void;
}

/** A plugin ready to start. */
export interface LoadedPlugin {
  host: PluginHost;
  needs: string[];
  /** typescript, go, rust, or '' when its build command and folder do not say: for people (the status, the dashboard). */
  language: string;
}

export async function loadPlugin(p: DiscoveredPlugin, deps: LoaderDeps): Promise<LoadedPlugin> {
  if (p.refused) throw p.refused;
  const folderName = p.dir.split('/').pop()!;
  if (p.kind === 'native') return loadNative(p, deps);
  if (p.kind === 'sidecar') {
    const manifest = readSidecarManifest(deps.root, p.file, folderName);
    const needs = checkNeeds(p, manifest.needs.map((tool) => ({ tool, optional: false })), deps, 'remove it from "needs"');
    const language = languageOf(join(deps.root, p.dir), manifest.build);
    const host = new SidecarHost({ identity: p.identity, dir: join(deps.root, p.dir), manifestFile: p.file, manifest, needs, socketDir: deps.socketDir(), toolServer: await deps.toolServer(), attachPoint: deps.attachPoint, settings: deps.env, log: deps.log(p.identity), onExit: (reason) => deps.onSidecarExit(host, manifest.restart, reason, manifest.address !== '') });
    return { host, needs, language };
  }
  const manifest = readWasmManifest(deps.root, p.file, folderName);
  const needs = checkNeeds(p, manifest.needs.map((tool) => ({ tool, optional: false })), deps, 'remove it from "needs"');
  const host = new WasmHost({ identity: p.identity, dir: join(deps.root, p.dir), manifestFile: p.file, manifest, needs, gateway: deps.gateway, log: deps.log(p.identity), onReboot: () => deps.onWasmReboot(p.identity) });
  return { host, needs, language: languageOf(join(deps.root, p.dir), manifest.build) };
}

async function loadNative(p: DiscoveredPlugin, deps: LoaderDeps): Promise<LoadedPlugin> {
  let mod: Record<string, unknown>;
  try {
    // From where the file lives, as Node itself resolves a symlink: a plugin folder
    // linked into the project (discovery.ts) keeps its relative imports working
    // under loaders that keep the link's path (vitest).
    const file = realpathSync(join(deps.root, p.file));
    // Under `microcore dev`, its current version: a changed file gets a new URL (module-generations.ts).
    mod = moduleGenerationsEnabled() ? await importCurrent(file) : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  } catch (err) {
    throw mcError('MC_ERR_PLUGIN_BOOT', `${p.file} failed to import: ${(err as Error).message}`, { plugin: p.identity, file: p.file }, err, 'Fix the module: a wrong import path or a syntax error is the usual cause.');
  }
  const cls = pluginClass(p, mod);
  const read = readConstructorNeeds(cls);
  if (typeof read === 'string') throw mcError('MC_ERR_PLUGIN_BOOT', `${p.file}: ${read}`, { plugin: p.identity, file: p.file });
  const needs = checkNeeds(p, read, deps, 'remove it from the constructor');
  // Its settings for the tools it needs, as a manifest's `tools` (kernel/tool-settings.ts).
  const settings = checkToolSettings((cls as { tools?: unknown }).tools, `${p.file} static tools`, read.map((n) => n.tool), 'MC_ERR_PLUGIN_BOOT', { plugin: p.identity, file: p.file });
  const handlers = new NativeHandlers();
  const tools: Record<string, unknown> = {};
  for (const name of needs) tools[name] = createToolProxy(p.identity, CONTRACT[name as keyof typeof CONTRACT], deps.tools.get(name)!, deps.toolCaller, handlers, settings[name]);
  let plugin: NativePlugin;
  try {
    plugin = new (cls as new (tools: unknown) => NativePlugin)(capabilityGuard(p, tools, read.map((n) => n.tool)));
  } catch (err) {
    throw toMcError(err, 'MC_ERR_PLUGIN_BOOT', `${p.file} constructor threw`);
  }
  return { host: new NativeHost(p.identity, needs, plugin, handlers, deps.log(p.identity)), needs, language: 'typescript' };
}

/** The tools object a constructor gets: reading an undeclared tool is a capability error, as for a sidecar. */
function capabilityGuard(p: DiscoveredPlugin, tools: Record<string, unknown>, declared: string[]): Record<string, unknown> {
  return new Proxy(tools, {
    get(target, name) {
      if (typeof name === 'string' && isContractName(name) && !declared.includes(name)) {
        throw mcError('MC_ERR_CAP_DENIED', `${p.identity} (${p.file}) used tool '${name}' but did not declare it (declared: ${declared.join(', ') || 'none'})`, { plugin: p.identity, tool: name });
      }
      return Reflect.get(target, name);
    },
  });
}

/** The default export if it is a class, else the one exported class. */
function pluginClass(p: DiscoveredPlugin, mod: Record<string, unknown>): Function {
  const isClass = (v: unknown): v is Function => typeof v === 'function' && /^class\b/.test(Function.prototype.toString.call(v));
  if (isClass(mod.default)) return mod.default;
  const classes = Object.values(mod).filter(isClass);
  if (classes.length === 1) return classes[0]!;
  throw mcError('MC_ERR_PLUGIN_BOOT', `${p.file} must export one plugin class (found ${classes.length})`, { plugin: p.identity, file: p.file });
}

/** The needs that are available; throws for a required one that is not. */
function checkNeeds(p: DiscoveredPlugin, needs: Need[], deps: LoaderDeps, removeHint: string): string[] {
  const got: string[] = [];
  for (const need of needs) {
    if (deps.tools.has(need.tool) && isContractName(need.tool)) {
      got.push(need.tool);
      continue;
    }
    if (need.optional) continue;
    const loaded = [...deps.tools.keys()].filter(isContractName).sort().join(', ') || 'none';
    const why = !isContractName(need.tool) && deps.declared.has(need.tool)
      ? `is kernel-facing and cannot be injected`
      : deps.declared.has(need.tool)
        ? `failed to set up (see its status)`
        : `is not loaded`;
    throw mcError('MC_ERR_PLUGIN_MISSING_TOOL', `${p.file} needs tool '${need.tool}', which ${why} (loaded: ${loaded})`, { plugin: p.identity, file: p.file, tool: need.tool }, undefined, `Add tools/${need.tool}, or ${removeHint.replace('it', `'${need.tool}'`)}.`);
  }
  return got;
}

/** What a sidecar or wasm module is written in, as its build command (a toolchain, the project's build scripts) or its folder (go.mod, Cargo.toml) says. */
function languageOf(dir: string, build: readonly string[]): string {
  const command = build.join(' ');
  if (/(^|[\s/])(go|tinygo)\s|build-go-/.test(command)) return 'go';
  if (/(^|[\s/])(cargo|rustc)\s|build-rust-/.test(command)) return 'rust';
  if (existsSync(join(dir, 'go.mod'))) return 'go';
  if (existsSync(join(dir, 'Cargo.toml'))) return 'rust';
  return '';
}
