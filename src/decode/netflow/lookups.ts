/**
 * Options data as lookup tables, per (exporter, protocol, observation domain
 * or source ID): sampler / selector ID to sampling rate, template ID to
 * sampling rate, the domain's own rate, ifIndex to interface name and
 * description (IEs 82/83), VRF ID to VRF name (234/235 to 236), and the
 * exporter's systemInitTimeMilliseconds (160).
 *
 * Exporters re-assign these at run time (pmacct test 112: VRF IDs re-used for
 * other names): a new options record replaces the entry. Every table is
 * bounded; the oldest entry goes first.
 */
import {
  R_IF_DESCRIPTION,
  R_IF_NAME,
  R_IN_IF,
  R_IN_VRF,
  R_OUT_IF,
  R_OUT_VRF,
  R_PACKET_INTERVAL,
  R_PACKET_SPACE,
  R_SAMPLER_ID,
  R_SAMPLER_NAME,
  R_SAMPLER_RANDOM_INTERVAL,
  R_SAMPLING_INTERVAL,
  R_SAMPLING_POPULATION,
  R_SAMPLING_PROBABILITY,
  R_SAMPLING_SIZE,
  R_SELECTOR_ID,
  R_SELECTOR_NAME,
  R_SYSTEM_INIT,
  R_TEMPLATE_ID,
  R_VRF_NAME,
} from './roles.js';
import type { Slots } from './slots.js';
import type { TemplateProtocol } from './template.js';

export interface SamplerInfo {
  rate: number;
  name?: string;
}

export interface InterfaceInfo {
  name?: string;
  description?: string;
}

/** Most entries per table (samplers, interfaces, VRFs, template rates). */
const MAX_TABLE_ENTRIES = 65536;

function setBounded<K, V>(m: Map<K, V>, k: K, v: V): void {
  if (m.has(k)) m.delete(k);
  else if (m.size >= MAX_TABLE_ENTRIES) {
    const first = m.keys().next();
    if (first.done !== true) m.delete(first.value);
  }
  m.set(k, v);
}

export class DomainLookups {
  /** Sampler ID (IE 48) or selector ID (IE 302) to its sampling. */
  readonly samplers = new Map<number, SamplerInfo>();
  /** Template ID to sampling rate (options scoped to a template, e.g. akvorado's mpls capture). */
  readonly templateRates = new Map<number, number>();
  /** Rate of options records with no sampler or template scope (system / domain scope). */
  domainRate: number | undefined;
  readonly interfaces = new Map<number, InterfaceInfo>();
  readonly vrfs = new Map<number, string>();
  /** systemInitTimeMilliseconds (ms since the epoch): turns IPFIX sysUpTime IEs 21/22 into absolute times. */
  systemInitMs: number | undefined;

  /** Learns what an options record tells (slots filled by its decode); returns true when a table changed. */
  learn(s: Slots): boolean {
    let changed = false;
    const rate = samplingRate(s);
    const samplerId = s.num(R_SELECTOR_ID) ?? s.num(R_SAMPLER_ID);
    if (rate !== undefined) {
      if (samplerId !== undefined) {
        const info: SamplerInfo = { rate };
        const name = s.str(R_SAMPLER_NAME) ?? s.str(R_SELECTOR_NAME);
        if (name !== undefined) info.name = name;
        setBounded(this.samplers, samplerId, info);
      } else {
        const tid = s.num(R_TEMPLATE_ID);
        if (tid !== undefined) setBounded(this.templateRates, tid, rate);
        else this.domainRate = rate;
      }
      changed = true;
    }
    const ifIndex = s.num(R_IN_IF) ?? s.num(R_OUT_IF);
    if (ifIndex !== undefined && (s.has(R_IF_NAME) || s.has(R_IF_DESCRIPTION))) {
      const info: InterfaceInfo = {};
      const name = s.str(R_IF_NAME);
      const description = s.str(R_IF_DESCRIPTION);
      if (name !== undefined) info.name = name;
      if (description !== undefined) info.description = description;
      setBounded(this.interfaces, ifIndex, info);
      changed = true;
    }
    const vrf = s.num(R_IN_VRF) ?? s.num(R_OUT_VRF);
    const vrfName = s.str(R_VRF_NAME);
    if (vrf !== undefined && vrfName !== undefined) {
      setBounded(this.vrfs, vrf, vrfName);
      changed = true;
    }
    const init = s.num(R_SYSTEM_INIT);
    if (init !== undefined) {
      this.systemInitMs = init;
      changed = true;
    }
    return changed;
  }
}

/**
 * The sampling rate ("1 in N") that a record's own sampling IEs give, or undefined:
 * samplingInterval (34), samplerRandomInterval (50), samplingPopulation / samplingSize
 * (310 / 309, random n-out-of-N), (samplingPacketInterval + samplingPacketSpace) /
 * samplingPacketInterval (305, 306: systematic count-based), samplingPacketInterval
 * alone when above 1 (exporters that put N there), 1 / samplingProbability (311).
 */
export function samplingRate(s: Slots): number | undefined {
  const interval = s.num(R_SAMPLING_INTERVAL);
  if (interval !== undefined && interval > 0) return interval;
  const random = s.num(R_SAMPLER_RANDOM_INTERVAL);
  if (random !== undefined && random > 0) return random;
  const size = s.num(R_SAMPLING_SIZE);
  const population = s.num(R_SAMPLING_POPULATION);
  if (size !== undefined && population !== undefined && size > 0 && population > 0) return population / size;
  const pktInterval = s.num(R_PACKET_INTERVAL);
  const pktSpace = s.num(R_PACKET_SPACE);
  if (pktInterval !== undefined && pktInterval > 0) {
    if (pktSpace !== undefined) return (pktInterval + pktSpace) / pktInterval;
    if (pktInterval > 1) return pktInterval;
  }
  const probability = s.num(R_SAMPLING_PROBABILITY);
  if (probability !== undefined && probability > 0 && probability <= 1) return 1 / probability;
  return undefined;
}

/** All domains' lookup tables, bounded in number (least recently used dropped). */
export class LookupTables {
  private readonly domains = new Map<string, DomainLookups>();
  readonly maxDomains: number;

  constructor(maxDomains = 10_000) {
    this.maxDomains = Math.max(1, maxDomains);
  }

  static key(exKey: string, protocol: TemplateProtocol, domain: number): string {
    return `${exKey}|${protocol}|${domain}`;
  }

  get(key: string): DomainLookups | undefined {
    return this.domains.get(key);
  }

  getOrCreate(key: string): DomainLookups {
    let d = this.domains.get(key);
    if (d !== undefined) return d;
    if (this.domains.size >= this.maxDomains) {
      const first = this.domains.keys().next();
      if (first.done !== true) this.domains.delete(first.value);
    }
    d = new DomainLookups();
    this.domains.set(key, d);
    return d;
  }

  get size(): number {
    return this.domains.size;
  }
}
