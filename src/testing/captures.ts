/**
 * Where the shared conformance captures live: `../shared/captures` beside the
 * repository, or FLOWLENS_CAPTURES. Tests skip cleanly when neither exists;
 * the captures are never part of the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file in src/ or dist/src/. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

export function capturesDir(): string | undefined {
  const dir = process.env.FLOWLENS_CAPTURES ?? path.resolve(repoRoot(), '../shared/captures');
  return existsSync(dir) ? dir : undefined;
}

/** The expected facts for one capture, or undefined when there are none. */
export function expectedFacts(dir: string, capture: string): Record<string, unknown> | undefined {
  const file = path.join(dir, 'expected', `${capture}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}
