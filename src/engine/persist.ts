/**
 * Definitions survive restarts: flows, groups, maps, thresholds and topology
 * are written to <state.dir>/state.json after every change (atomically, via
 * a temporary file and rename) and restored at start.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from './engine.js';
import type { Thresholds } from './thresholds.js';

export interface EngineState {
  version: 1;
  flows: Record<string, unknown>;
  groups: Record<string, unknown>;
  maps: Record<string, unknown>;
  thresholds: Record<string, unknown>;
  topology: unknown;
}

/** Flows with these prefixes belong to a component that defines them itself; they are not persisted. */
export const TRANSIENT_FLOW_PREFIXES: readonly string[] = ['prometheus_', 'ai_', 'matrix_', 'browse_'];

export function snapshot(engine: Engine, thresholds: Thresholds): EngineState {
  const groups: Record<string, unknown> = {};
  for (const n of engine.groups.names()) groups[n] = engine.groups.get(n);
  const maps: Record<string, unknown> = {};
  for (const n of engine.maps.names()) maps[n] = engine.maps.get(n);
  const { version: _version, ...topology } = engine.topology.get();
  const flows: Record<string, unknown> = {};
  // Flows the Prometheus exporter defines on demand live only while scraped; the
  // ai-metrics app defines its ai_ flows at every start.
  for (const [name, def] of Object.entries(engine.flowDefinitions()))
    if (!TRANSIENT_FLOW_PREFIXES.some((p) => name.startsWith(p))) flows[name] = def;
  return {
    version: 1,
    flows,
    groups,
    maps,
    thresholds: thresholds.all(),
    topology: engine.topology.version > 0 ? topology : null,
  };
}

/** Restores what it can; returns a message for every definition it had to skip. */
export function restore(engine: Engine, thresholds: Thresholds, state: EngineState): string[] {
  const problems: string[] = [];
  const each = (kind: string, entries: Record<string, unknown>, set: (name: string, v: unknown) => void) => {
    for (const [name, v] of Object.entries(entries ?? {})) {
      try {
        set(name, v);
      } catch (err) {
        problems.push(`${kind} '${name}': ${(err as Error).message}`);
      }
    }
  };
  // Groups, maps and topology first: flows and thresholds may refer to them.
  each('group', state.groups, (n, v) => engine.groups.set(n, v));
  each('map', state.maps, (n, v) => engine.maps.set(n, v));
  if (state.topology !== null && state.topology !== undefined) {
    try {
      engine.topology.set(state.topology);
    } catch (err) {
      problems.push(`topology: ${(err as Error).message}`);
    }
  }
  each('flow', state.flows, (n, v) => engine.setFlow(n, v));
  each('threshold', state.thresholds, (n, v) => thresholds.set(n, v));
  return problems;
}

export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  readonly file: string;

  constructor(
    readonly dir: string,
    private readonly delayMs = 200,
  ) {
    this.file = path.join(dir, 'state.json');
  }

  load(): EngineState | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = JSON.parse(text) as EngineState;
    if (parsed.version !== 1)
      throw new Error(`${this.file}: unsupported state version ${String(parsed.version)}`);
    return parsed;
  }

  /** Writes now. */
  write(state: EngineState): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, this.file);
  }

  /** Writes soon, once, however many changes arrive meanwhile. */
  schedule(take: () => EngineState): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write(take());
    }, this.delayMs);
  }

  flush(take: () => EngineState): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.write(take());
  }
}
