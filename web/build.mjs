// Builds the pages' modules (src/) into static/dist/ with esbuild, where the Go binary embeds
// them (web.go). One bundle per page — console, field, review — with the modules they share
// split into chunks, MapLibre's worker copied beside them (MapLibre starts it from a URL), and
// a metafile (dist/meta.json) that lists every output for the asset test.
//
// node build.mjs            build once (what `make web` runs)
// node build.mjs --watch    rebuild on every change while working on the pages
import * as esbuild from 'esbuild';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'static', 'dist');
const watch = process.argv.includes('--watch');

const options = {
  absWorkingDir: here,
  entryPoints: {
    console: 'src/console/main.js',
    field: 'src/field/main.js',
    review: 'src/review/main.js',
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  target: ['es2022'],
  minify: !watch,
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  loader: { '.json': 'json' },
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  logLevel: 'warning',
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
// MapLibre runs its tile parsing in a module worker it loads by URL (map/worker.js sets it).
for (const f of ['maplibre-gl-worker.mjs']) {
  await copyFile(join(here, 'node_modules', 'maplibre-gl', 'dist', f), join(out, f));
}

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('watching src/ for changes');
} else {
  const result = await esbuild.build(options);
  await writeFile(join(out, 'meta.json'), JSON.stringify(result.metafile));
  const outputs = Object.entries(result.metafile.outputs).filter(([name]) => !name.endsWith('.map'));
  const bytes = outputs.reduce((n, [, o]) => n + o.bytes, 0);
  console.log(`web: built ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB, into static/dist`);
}
