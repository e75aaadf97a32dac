#!/usr/bin/env node
// Builds the web console into dist/web: type-checks web/ (tsc --noEmit with
// web/tsconfig.json), bundles web/src/main.ts and its CSS with esbuild into
// content-hashed files under dist/web/assets, writes index.html pointing at
// them, and stores a gzip copy of each text file for the static server.
//
//   node web/build.mjs            production build (minified, source maps)
//   node web/build.mjs --no-check skip the type check (faster while iterating)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const out = path.join(repo, 'dist', 'web');
const assets = path.join(out, 'assets');

if (!process.argv.includes('--no-check')) {
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src', 'main.ts') },
  bundle: true,
  format: 'esm',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  platform: 'browser',
  minify: true,
  sourcemap: 'linked',
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const built = Object.keys(result.metafile.outputs).map((f) => path.resolve(repo, f));
const pick = (ext) => {
  const f = built.find((p) => p.endsWith(ext) && path.basename(p).startsWith('app-'));
  if (f === undefined) throw new Error(`esbuild produced no app${ext}`);
  return `assets/${path.basename(f)}`;
};

const icon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#101820"/>' +
  '<path d="M3 12 6 7l3 3 4-6" fill="none" stroke="#f97316" stroke-width="2" stroke-linecap="round"/></svg>';
writeFileSync(path.join(assets, 'icon.svg'), icon);

const template = readFileSync(path.join(here, 'index.html'), 'utf8');
const html = template
  .replaceAll('%APP_JS%', pick('.js'))
  .replaceAll('%APP_CSS%', pick('.css'))
  .replaceAll('%ICON%', 'assets/icon.svg');
writeFileSync(path.join(out, 'index.html'), html);

for (const f of [...built, path.join(out, 'index.html'), path.join(assets, 'icon.svg')]) {
  if (!/\.(js|css|html|map|svg|txt)$/.test(f)) continue;
  writeFileSync(`${f}.gz`, gzipSync(readFileSync(f), { level: 9 }));
}

const size = (rel) => `${(readFileSync(path.join(out, rel)).length / 1024).toFixed(0)} KiB`;
console.log(`web console: dist/web (${pick('.js')} ${size(pick('.js'))}, ${pick('.css')} ${size(pick('.css'))})`);
