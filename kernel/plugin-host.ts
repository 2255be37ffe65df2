// What the kernel holds for each plugin, whatever its hosting. A host turns the
// kernel's lifecycle calls and handler invocations into its hosting's terms: a
// method call, a gRPC call to a sidecar, an Extism call into a wasm module.
import type { Answer, InvokeInput, InvokeOutput } from './contract.ts';

export const HOSTINGS = ['native', 'sidecar', 'wasm'] as const;
export type Hosting = (typeof HOSTINGS)[number];

export interface PluginHost {
  readonly identity: string;
  readonly hosting: Hosting;
  /** The tools it declared and got. */
  readonly needs: readonly string[];
  /** Brings the plugin up (spawn and handshake, load the module); native plugins are constructed before. */
  start(): Promise<void>;
  /** Runs its onBoot: endpoints and subscriptions get added here. */
  boot(): Promise<void>;
  /** Runs one of its handlers. Errors come back as thrown McErrors (a native handler's at once, if it failed at once). */
  invoke(handlerId: string, input: InvokeInput): Answer<InvokeOutput>;
  /** Resolves once no call of its handlers is running (a replaced version is stopped after that). */
  idle?(): Promise<void>;
  /** While a new version of it boots (and after it took over): true, it may add no handler; false, it may again (the new one was refused). */
  retire?(retired: boolean): void;
  /** Lets it release resources, then stops it. Never throws. */
  shutdown(): Promise<void>;
}
