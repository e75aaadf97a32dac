/** Runs the built `flowlens` command as users do: a real process, its exit code and output. */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js, next to this file's compiled form. */
export const FLOWLENS_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');

/** Runs `flowlens ...args` to completion (at most a minute). */
export function flowlensSync(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [FLOWLENS_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `flowlens ...args` without blocking the test's event loop (for commands that talk to it). */
export function flowlens(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FLOWLENS_MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
