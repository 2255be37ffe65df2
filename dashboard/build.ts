// Builds the dashboard: dashboard/src (React 19, Mantine, Chart.js, React Flow)
// bundled by esbuild into dashboard/dist — index.html and assets/ with hashed
// names, everything local (no CDN, no remote fonts), which the http tool serves
// at /dashboard (tools/http/dashboard.ts). scripts/setup.sh runs this when the
// sources are newer than the bundle; run it by hand with `node dashboard/build.ts`.
import { build } from 'esbuild';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

const here = import.meta.dirname;
const out = join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src/main.tsx') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const named = (ext: string) => {
  const file = outputs.find((f) => f.endsWith(ext) && basename(f).startsWith('app-'));
  if (!file) throw new Error(`dashboard/build.ts: esbuild wrote no app-*${ext} (outputs: ${outputs.join(', ')})`);
  return `/dashboard/assets/${basename(file)}`;
};
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MicroCore dashboard</title>
<link rel="stylesheet" href="${named('.css')}">
<script type="module" src="${named('.js')}"></script>
</head>
<body><div id="root"></div></body>
</html>
`,
);
const size = (f: string) => statSync(f).size;
const total = outputs.reduce((sum, f) => sum + size(f), 0);
console.log(`→ dashboard built into ${relative(process.cwd(), out) || out}: ${outputs.map((f) => `${basename(f)} ${(size(f) / 1024).toFixed(0)} kB`).join(', ')} (${(total / 1024).toFixed(0)} kB in all)`);
