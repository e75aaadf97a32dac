/**
 * Compiling the eBPF objects on demand. The C sources live in `ebpf/` at the
 * package root; the object is compiled with `clang -O2 -g -target bpf` the
 * first time it is needed and cached in the state directory under a name that
 * carries a hash of the sources and flags, so an upgraded flowlens never uses
 * a stale object and the cached one is reused without clang.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EbpfError, requireTools, runOk } from './tools.js';

export type ProgramName = 'csum_fix' | 'csum_watch';

/** The `ebpf/` source directory: FLOWLENS_EBPF_DIR, else the package root's `ebpf/`. */
export function ebpfSourceDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.FLOWLENS_EBPF_DIR;
  if (override !== undefined && override !== '') return override;
  // This file is dist/src/ebpf/objects.js once built.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../ebpf');
}

function tryDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where flowlens keeps state (compiled objects): FLOWLENS_STATE_DIR, else
 * /var/lib/flowlens when it can be created, else a per-user temp directory.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.FLOWLENS_STATE_DIR;
  if (override !== undefined && override !== '') {
    if (!tryDir(override)) throw new EbpfError(`cannot create FLOWLENS_STATE_DIR ${override}`, 2);
    return override;
  }
  if (tryDir('/var/lib/flowlens')) return '/var/lib/flowlens';
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const tmp = path.join(os.tmpdir(), `flowlens-${uid}`);
  if (!tryDir(tmp))
    throw new EbpfError(`cannot create a state directory (tried /var/lib/flowlens, ${tmp})`, 2);
  return tmp;
}

/** Where the kernel's UAPI asm/ headers are on Debian-style multiarch systems. */
const MULTIARCH: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  ia32: 'i386-linux-gnu',
};

export function clangFlags(): string[] {
  const flags = ['-O2', '-g', '-target', 'bpf', '-Wall'];
  const triplet = MULTIARCH[process.arch];
  if (triplet !== undefined && existsSync(`/usr/include/${triplet}`)) flags.push(`-I/usr/include/${triplet}`);
  return flags;
}

export interface BuiltObject {
  path: string;
  /** The object file name, which tc shows as the filter's bpf_name ("csum_fix-<hash>.o:[tc]"). */
  file: string;
  compiled: boolean;
  compileMs: number;
}

/** The object for a program, compiled now unless a cached copy for these sources exists. */
export function buildObject(name: ProgramName, env: NodeJS.ProcessEnv = process.env): BuiltObject {
  const src = ebpfSourceDir(env);
  const main = path.join(src, `${name}.bpf.c`);
  if (!existsSync(main)) {
    throw new EbpfError(
      `eBPF source ${main} not found (set FLOWLENS_EBPF_DIR to the flowlens ebpf/ directory)`,
      2,
    );
  }
  const flags = clangFlags();
  const hash = createHash('sha256');
  hash.update(flags.join(' '));
  const headers = readdirSync(src)
    .filter((f) => f.endsWith('.h'))
    .sort();
  for (const f of [`${name}.bpf.c`, ...headers]) {
    hash.update(`\0${f}\0`);
    hash.update(readFileSync(path.join(src, f)));
  }
  const file = `${name}-${hash.digest('hex').slice(0, 12)}.o`;
  const dir = path.join(stateDir(env), 'bpf');
  if (!tryDir(dir)) throw new EbpfError(`cannot create ${dir}`, 2);
  const out = path.join(dir, file);
  if (existsSync(out)) return { path: out, file, compiled: false, compileMs: 0 };

  const { clang } = requireTools(['clang'], env);
  const tmp = `${out}.${process.pid}.tmp`;
  const t0 = performance.now();
  try {
    runOk(clang, [...flags, '-c', main, '-o', tmp], 120_000);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof EbpfError && /bpf\/bpf_helpers\.h|linux\/bpf\.h|asm\/types\.h/.test(err.message)) {
      throw new EbpfError(
        `${err.message}\nthe BPF headers are missing; install with: apt-get install -y libbpf-dev linux-libc-dev`,
        2,
      );
    }
    throw err;
  }
  return { path: out, file, compiled: true, compileMs: performance.now() - t0 };
}
