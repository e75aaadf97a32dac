/**
 * The real-time engine: flow definitions over every sample that arrives,
 * with the groups, maps and topology their key functions use. Protocol views
 * (sFlow here; IPFIX/NetFlow records likewise) feed it through `ingest`.
 */
import type { ExportMessage } from '../decode/netflow/types.js';
import { packetKeys } from '../decode/packet/keys.js';
import type { SflowDatagram } from '../decode/sflow/types.js';
import { ExportRecordView } from './export-view.js';
import type { KeyEnv } from './expr.js';
import { compileFlow, type FlowDefinition, normalizeFlow } from './flow-def.js';
import {
  type ActiveFlow,
  type ActiveFlowsQuery,
  FlowTable,
  type FlowTableStats,
  type LoggedFlow,
} from './flow-table.js';
import { Groups } from './groups.js';
import { IdLog } from './log.js';
import { Maps } from './maps.js';
import { type SampleView, sampleCodeReader, sampleReader } from './sample.js';
import { SflowSampleView } from './sflow-view.js';
import { SourceRegistry } from './sources.js';
import type { Observation } from './thresholds.js';
import { Topology } from './topology.js';

export interface EngineLimits {
  /** Flow definitions at most. */
  flows: number;
  /** Flows tracked per data source and definition, at most. */
  flowsPerSource?: number;
}

export class LimitError extends Error {
  override name = 'LimitError';
}

export class NameError extends Error {
  override name = 'NameError';
}

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) {
    throw new NameError(
      `${kind} name '${name}' must be 1-128 characters of letters, digits, '_', '.' or '-'`,
    );
  }
}

/** A logged flow record with its id, as /flows/json returns it. */
export interface FlowRecord extends LoggedFlow {
  flowID: number;
}

/** Which agents a query covers: all, or a set (explicit list or a topology selector resolved by the caller). */
export type AgentSet = ReadonlySet<string> | undefined;

export class Engine {
  readonly groups = new Groups();
  readonly maps = new Maps();
  readonly topology = new Topology();
  readonly env: KeyEnv<SampleView>;
  private readonly tables = new Map<string, FlowTable<SampleView>>();
  /** Every (agent, data source) with samples, numbered once for all flow tables. */
  readonly sources = new SourceRegistry();
  private readonly sflowView = new SflowSampleView(this.sources);
  private readonly exportView = new ExportRecordView(this.sources);
  readonly limits: EngineLimits;
  /** Flows with `log: true` report here when they end (or start, with flowStart). */
  readonly flowLog = new IdLog<FlowRecord>((f) => f.flowID);

  constructor(limits: Partial<EngineLimits> = {}) {
    this.limits = { flows: 100, ...limits };
    this.env = {
      reader: sampleReader,
      code: sampleCodeReader,
      group: (set, address) => this.groups.lookup(set, address),
      map: (name, value) => this.maps.lookup(name, value),
      link: (agent, ifIndex) => this.topology.link(agent, ifIndex),
    };
  }

  /** Defines or replaces a flow; throws DefinitionError, NameError or LimitError with the reason. */
  setFlow(name: string, input: unknown): FlowDefinition {
    checkName('flow', name);
    const def = normalizeFlow(input);
    const compiled = compileFlow(name, def, this.env);
    if (!this.tables.has(name) && this.tables.size >= this.limits.flows) {
      throw new LimitError(`at most ${this.limits.flows} flows may be defined`);
    }
    const onLog = (f: LoggedFlow) => this.flowLog.append((flowID) => ({ flowID, ...f }));
    const options = {
      onLog,
      sources: this.sources,
      ...(this.limits.flowsPerSource === undefined ? {} : { capacityPerSource: this.limits.flowsPerSource }),
    };
    this.tables.set(name, new FlowTable(compiled, options));
    return def;
  }

  deleteFlow(name: string): boolean {
    return this.tables.delete(name);
  }

  flow(name: string): FlowDefinition | undefined {
    return this.tables.get(name)?.flow.def;
  }

  flowNames(): string[] {
    return [...this.tables.keys()];
  }

  flowDefinitions(): Record<string, FlowDefinition> {
    const out: Record<string, FlowDefinition> = {};
    for (const [name, t] of this.tables) out[name] = t.flow.def;
    return out;
  }

  table(name: string): FlowTable<SampleView> | undefined {
    return this.tables.get(name);
  }

  /** Offers one sample to every flow definition of its kind (packet samples or dropped packets). */
  ingest(view: SampleView): void {
    for (const t of this.tables.values()) {
      if (t.flow.def.dropped === view.dropped) t.add(view, view.timeMs);
    }
  }

  ingestSflow(d: SflowDatagram, nowMs: number): void {
    const v = this.sflowView;
    // Once a second, note which keys a sample carries, for /flowkeys/json.
    const scan = nowMs - this.lastKeyScan >= 1000;
    if (this.tables.size === 0 && !scan) return;
    for (const s of d.samples) {
      if (s.type !== 'flow_sample' && s.type !== 'flow_sample_expanded' && s.type !== 'discarded_packet')
        continue;
      if (!v.reset(d, s, nowMs)) continue;
      if (nowMs - this.lastKeyScan >= 1000) this.noteKeys(v, nowMs);
      this.ingest(v);
    }
  }

  private lastKeyScan = 0;
  private readonly seenKeys = new Map<string, number>();

  private noteKeys(v: SflowSampleView, nowMs: number): void {
    this.lastKeyScan = nowMs;
    const p = v.packet();
    const names = [...Object.keys(v.sampleKeys()), 'agent', 'bytes', 'frames', 'samplingrate'];
    if (p !== undefined) names.push(...Object.keys(packetKeys(p)));
    for (const n of names) this.seenKeys.set(n, nowMs);
  }

  /** Keys seen in recent samples, with the ms since each was last seen (sFlow-RT /flowkeys/json). */
  flowKeys(nowMs: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, t] of [...this.seenKeys].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[k] = nowMs - t;
    return out;
  }

  /** IPFIX / NetFlow data records, measured like packet samples. */
  ingestExport(m: ExportMessage, nowMs: number): void {
    if (this.tables.size === 0) return;
    const v = this.exportView;
    for (const r of m.records) if (v.reset(m.exporter.address, r, nowMs)) this.ingest(v);
  }

  activeFlows(
    name: string,
    query: Omit<ActiveFlowsQuery, 'isCore'>,
    nowMs: number,
  ): ActiveFlow[] | undefined {
    const t = this.tables.get(name);
    if (t === undefined) return undefined;
    return t.activeFlows({ ...query, isCore: (a, ds) => this.topology.isCore(a, ds) }, nowMs);
  }

  /** Flow values for thresholds: per flow key with byFlow, else the largest flow per data source. */
  observeFlow(name: string, byFlow: boolean, nowMs: number): Iterable<Observation> | undefined {
    const t = this.tables.get(name);
    if (t === undefined) return undefined;
    if (byFlow) return t.observations(nowMs);
    return t
      .topPerSource(nowMs, 1)
      .map((s) => ({ agent: s.agent, dataSource: s.dataSource, value: s.value }));
  }

  /** Periodic housekeeping: drops idle flows, then sources no table can still hold. */
  tick(nowMs: number): void {
    let horizonMs = 60_000;
    for (const t of this.tables.values()) {
      t.sweep(nowMs);
      horizonMs = Math.max(horizonMs, t.flow.def.t * 10_000);
    }
    for (const sid of this.sources.prune(nowMs - 2 * horizonMs)) {
      for (const t of this.tables.values()) t.dropSource(sid);
    }
  }

  stats(): Record<string, FlowTableStats> {
    const out: Record<string, FlowTableStats> = {};
    for (const [name, t] of this.tables) out[name] = { ...t.getStats() };
    return out;
  }
}
