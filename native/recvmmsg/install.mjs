#!/usr/bin/env node
/**
 * Builds the recvmmsg addon with node-gyp at `npm install` time. It never
 * fails the install: when the build cannot run (not Linux, no compiler, no
 * Node headers), flowlens falls back to Node's dgram sockets and says so.
 *
 *   FLOWLENS_SKIP_NATIVE=1   do not build
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const note = (line) => process.stderr.write(`flowlens recvmmsg addon: ${line}\n`);

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  return candidates.find((c) => c !== undefined && c !== '' && existsSync(c));
}

function main() {
  if (process.env.FLOWLENS_SKIP_NATIVE === '1') return note('skipped (FLOWLENS_SKIP_NATIVE=1); using Node dgram');
  if (process.platform !== 'linux') return note(`not built on ${process.platform} (Linux only); using Node dgram`);
  const gyp = nodeGyp();
  if (gyp === undefined) return note('node-gyp not found; using Node dgram');
  const args = [gyp, 'rebuild'];
  // Outside npm (no npm_config_nodedir), build against the headers installed next to this node, when present,
  // rather than letting node-gyp try to download them.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h')))
    args.push(`--nodedir=${prefix}`);
  const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status === 0 && existsSync(path.join(dir, 'build', 'Release', 'recvmmsg.node'))) return note('built');
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  note(`build failed (${r.error?.message ?? `exit ${r.status}`}); using Node dgram.\n${output}`);
}

try {
  main();
} catch (err) {
  note(`build failed (${err instanceof Error ? err.message : String(err)}); using Node dgram`);
}
process.exitCode = 0;
