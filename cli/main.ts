#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The microcore command's entry: it turns on Node's compile cache, then loads
// the commands (cli/commands.ts). Loading the kernel, the tools and the plugins
// strips the types of a few hundred .ts files and compiles them, which was most
// of a boot's CPU (bench/README.md, "hostings-footprint"); the cache keeps both
// on disk, keyed by each file's content, so a restart skips them. It lives in
// os.tmpdir()/node-compile-cache unless NODE_COMPILE_CACHE names a directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. The variable is set for what this
// process starts (wasm workers, node children), which inherit it.
import { enableCompileCache, getCompileCacheDir } from 'node:module';

enableCompileCache();
const dir = getCompileCacheDir();
// Node's own variable, read by Node in the processes we start, not a MicroCore
// setting (so not in .env.example, which lists what the kernel reads).
if (dir) process.env['NODE_COMPILE_CACHE'] ??= dir;
await import('./commands.ts');
