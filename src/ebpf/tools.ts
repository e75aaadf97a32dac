/**
 * The external tools the eBPF commands drive (clang, tc, bpftool, ip), how to
 * find them, and the errors users see when something is missing.
 *
 * Errors meant for the user are `EbpfError`s carrying the exit code:
 * 2 for "cannot run here" (not root, a tool missing, no such device), 1 for a
 * tool that ran and failed (verifier rejection, tc error).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export class EbpfError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'EbpfError';
  }
}

export type ToolName = 'clang' | 'tc' | 'bpftool' | 'ip';

/** Debian package providing each tool, for the "install it" hint. */
export const TOOL_PACKAGES: Record<ToolName, string> = {
  clang: 'clang',
  tc: 'iproute2',
  bpftool: 'bpftool',
  ip: 'iproute2',
};

/** Environment variables that name a tool explicitly (e.g. FLOWLENS_CLANG=clang-17). */
export const TOOL_ENV: Record<ToolName, string> = {
  clang: 'FLOWLENS_CLANG',
  tc: 'FLOWLENS_TC',
  bpftool: 'FLOWLENS_BPFTOOL',
  ip: 'FLOWLENS_IP',
};

/** tc, ip and bpftool live in sbin, which is often not in a user's PATH. */
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a tool: the FLOWLENS_<TOOL> override if set (a path, or a name
 * looked up like the tool itself), else the first match in PATH and the sbin
 * directories. undefined when not found.
 */
export function findTool(
  name: ToolName,
  env: NodeJS.ProcessEnv = process.env,
  extraDirs: readonly string[] = EXTRA_DIRS,
): string | undefined {
  const override = env[TOOL_ENV[name]];
  const wanted = override !== undefined && override !== '' ? override : name;
  if (wanted.includes('/')) return executable(wanted) ? wanted : undefined;
  const dirs = [...(env.PATH ?? '').split(':').filter((d) => d !== ''), ...extraDirs];
  for (const dir of dirs) {
    const file = path.join(dir, wanted);
    if (executable(file)) return file;
  }
  return undefined;
}

/** Resolves every tool or throws one EbpfError (exit 2) naming all the missing ones and their packages. */
export function requireTools<T extends ToolName>(
  names: readonly T[],
  env: NodeJS.ProcessEnv = process.env,
  extraDirs?: readonly string[],
): Record<T, string> {
  const found = {} as Record<T, string>;
  const missing: T[] = [];
  for (const n of names) {
    const p = findTool(n, env, extraDirs);
    if (p === undefined) missing.push(n);
    else found[n] = p;
  }
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => TOOL_PACKAGES[m]))];
    const what = missing
      .map((m) => {
        const o = env[TOOL_ENV[m]];
        return o !== undefined && o !== '' ? `${m} (${TOOL_ENV[m]}=${o} is not executable)` : m;
      })
      .join(', ');
    throw new EbpfError(
      `${what} not found; install with: apt-get install -y ${pkgs.join(' ')} (Debian/Ubuntu packages)`,
      2,
    );
  }
  return found;
}

/** Loading BPF programs and changing qdiscs needs root (CAP_BPF + CAP_NET_ADMIN; see kernel.unprivileged_bpf_disabled). */
export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new EbpfError(
      `${what} needs root (it loads eBPF programs and changes tc qdiscs): run it with sudo`,
      2,
    );
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], timeoutMs = 30_000): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error !== undefined) return { code: 127, stdout: '', stderr: r.error.message };
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed; the error message carries the command and its stderr. */
export function runOk(cmd: string, args: readonly string[], timeoutMs?: number): string {
  const r = run(cmd, args, timeoutMs);
  if (r.code !== 0) {
    const detail = (r.stderr || r.stdout).trim().split('\n').slice(-20).join('\n');
    throw new EbpfError(`${path.basename(cmd)} ${args.join(' ')} failed (exit ${r.code}):\n${detail}`, 1);
  }
  return r.stdout;
}

/** Parses a tool's JSON output, with a message naming the tool when it is not JSON. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EbpfError(`${what}: unexpected output (not JSON): ${text.slice(0, 200)}`, 1);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
