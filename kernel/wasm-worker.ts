// One wasm instance on a thread of its own: the worker side of wasm-thread.ts.
// Extism runs here on the worker's own thread (its "foreground" plugin), so a
// call and its host function calls stay in one thread; mc_call crosses back to
// the kernel through the shared channel (wasm-channel.ts) and blocks this thread
// in Atomics.wait until the tool's result is there. The kernel ends a runaway
// call by terminating the whole worker. Node loads this file directly (type
// stripping), outside any bundler: it imports only Extism and the channel.
import createPlugin, { type CallContext, type ManifestWasmModule } from '@extism/extism';
import { parentPort, workerData } from 'node:worker_threads';
import { CALL, DONE, EXPORT, EXPORTS, FAILED, hand, HOST, HOST_DONE, LENGTH, readMessage, STATE, writeMessage, type WorkerFailure } from './wasm-channel.ts';

export interface WorkerInit {
  channel: SharedArrayBuffer;
  module: ManifestWasmModule['module'];
  config: Record<string, string>;
  wasi: boolean;
  allowedHosts: string[];
  memoryMaxPages: number;
}

// Loading this file and Extism is the kernel's cost, not the module's: the
// kernel starts the module's limits.timeoutMs only from here.
parentPort!.postMessage({ type: 'loaded' });

const init = workerData as WorkerInit;
const sab = init.channel;
const header = new Int32Array(sab, 0, 4);
const EMPTY = new Uint8Array();

function waitFor(state: number): void {
  for (let now = Atomics.load(header, STATE); now !== state; now = Atomics.load(header, STATE)) Atomics.wait(header, STATE, now);
}

function send(level: string, message: string): void {
  parentPort!.postMessage({ type: 'log', level, message });
}

// Synchronous on purpose: a plain function is called straight from wasm, with
// no JSPI suspension, and the thread simply blocks until the kernel answers.
function mcCall(cc: CallContext, offset: bigint): bigint {
  const request = cc.read(offset)?.bytes() ?? EMPTY;
  // Too large for the channel: a negative length tells the kernel the size, and it answers with the limit's error.
  if (!writeMessage(sab, header, request)) header[LENGTH] = -request.length;
  hand(header, HOST);
  waitFor(HOST_DONE);
  return cc.store(readMessage(sab, header));
}

function fail(failure: WorkerFailure): void {
  writeMessage(sab, header, new TextEncoder().encode(JSON.stringify(failure)));
  hand(header, FAILED);
}

async function serve(): Promise<never> {
  const logger = Object.fromEntries(['trace', 'debug', 'info', 'warn', 'error', 'log'].map((level) => [level, (message: string) => send(level, String(message))]));
  const plugin = await createPlugin(
    { wasm: [{ module: init.module, name: 'main' }], config: init.config },
    {
      useWasi: init.wasi,
      runInWorker: false,
      allowedHosts: init.allowedHosts,
      memory: { maxPages: init.memoryMaxPages },
      logger: logger as unknown as Console,
      functions: { 'extism:host/user': { mc_call: mcCall } },
    },
  );
  parentPort!.postMessage({ type: 'ready' });
  for (;;) {
    waitFor(CALL);
    const name = EXPORTS[header[EXPORT]!]!;
    const input = readMessage(sab, header);
    let output: Uint8Array;
    try {
      if (name === 'exists:mc_on_shutdown') output = Uint8Array.of((await plugin.functionExists('mc_on_shutdown')) ? 1 : 0);
      else output = (await plugin.call(name, input))?.bytes() ?? EMPTY;
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      fail({ kind: message.startsWith('Plugin-originated error') ? 'guest' : 'trap', message });
      continue;
    }
    if (writeMessage(sab, header, output)) hand(header, DONE);
    else fail({ kind: 'too-large', message: `output of ${output.length} bytes`, size: output.length });
  }
}

serve().catch((err: unknown) => {
  parentPort!.postMessage({ type: 'error', message: (err as Error)?.message ?? String(err) });
});
