#!/usr/bin/env node
// Adds lock entries for the platform-specific optional packages of Biome that
// the package registry reachable from our build machines does not serve (only
// the Linux glibc builds are there). Without them `npm ci` refuses the lock
// file as out of sync. Each entry carries its os/cpu, so npm skips it on
// every other platform without fetching anything.
//
// Run after any `npm install` that rewrites package-lock.json.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] !== undefined) continue;
    const m = /-(android|darwin|linux|win32)-(arm64|x64)(-musl)?$/.exec(name);
    if (m === null) throw new Error(`${path}: cannot tell the platform of optional dependency ${name}`);
    lock.packages[key] = {
      version,
      cpu: [m[2]],
      dev: entry.dev === true ? true : undefined,
      ...(m[3] ? { libc: ['musl'] } : {}),
      optional: true,
      os: [m[1]],
    };
    added++;
  }
}
const sorted = {};
for (const key of Object.keys(lock.packages).sort()) sorted[key] = lock.packages[key];
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platforms: added ${added} entries`);
