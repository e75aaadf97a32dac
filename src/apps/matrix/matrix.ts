/**
 * The traffic matrix: the top source -> destination flows placed on a square
 * whose x axis orders sources and y axis destinations, for the console's
 * heatmap. It defines its own engine flows on first use and forgets them
 * after a while without queries.
 *
 * Two ways to order an axis (sflow-rt-reference.md section 4):
 *   range     addresses by value, a chosen range in the centre and the rest of
 *             the space squeezed into the borders (scale.ts); IPv4 or IPv6
 *   topology  by where hosts attach: switch, then port (locate.ts)
 */
import type { Engine } from '../../engine/engine.js';
import { canonicalHost, HostLocator, type MatrixLayout } from './locate.js';
import {
  type AddressFamily,
  type AxisRange,
  checkRange,
  formatAddress,
  fullRange,
  ipv4Number,
  MAX_INSET,
  parseAddress,
  parseIPv6,
  position,
  position4,
} from './scale.js';
import type { AxisText, HostFamily, MatrixCell, MatrixMode, MatrixResponse, MatrixValue } from './wire.js';

export const MATRIX_FLOW_PREFIX = 'matrix_';
/** Flows the matrix defined are deleted after this long without a query. */
export const MATRIX_IDLE_MS = 5 * 60 * 1000;
/** Learned host locations are rebuilt at most this often. */
const LOCATE_REFRESH_MS = 5000;

export type { AxisText, HostFamily, MatrixCell, MatrixMode, MatrixResponse, MatrixValue };

export class MatrixError extends Error {
  override name = 'MatrixError';
}

/** Query parameters, as the HTTP handler passes them (undefined or '' when absent). */
export type MatrixParams = (name: string) => string | undefined;

export interface MatrixDeps {
  engine: Engine;
  now: () => number;
}

function sourceKey(family: HostFamily): string {
  return family === 'ip' ? 'ipsource' : family === 'ip6' ? 'ip6source' : 'macsource';
}

function destinationKey(family: HostFamily): string {
  return family === 'ip' ? 'ipdestination' : family === 'ip6' ? 'ip6destination' : 'macdestination';
}

export class MatrixService {
  readonly locator: HostLocator;
  private readonly lastUsed = new Map<string, number>();
  private adopted = false;
  private learnedAt = new Map<string, number>();

  constructor(private readonly deps: MatrixDeps) {
    this.locator = new HostLocator(deps.engine.topology);
  }

  /** Answers one poll of the matrix; throws MatrixError (or an address range error) for bad parameters. */
  query(get: MatrixParams): MatrixResponse {
    const param = (name: string) => {
      const v = get(name);
      return v === undefined || v === '' ? undefined : v;
    };
    const num = (name: string, fallback: number, min: number, max: number) => {
      const raw = param(name);
      if (raw === undefined) return fallback;
      const n = Number(raw);
      if (!Number.isFinite(n) || n < min || n > max)
        throw new MatrixError(`'${name}' must be a number from ${min} to ${max}`);
      return n;
    };
    const mode = (param('mode') ?? 'range') as MatrixMode;
    if (mode !== 'range' && mode !== 'topology') throw new MatrixError("mode must be 'range' or 'topology'");
    const layer = param('layer') ?? '';
    if (!/^(\.[1-9])?$/.test(layer))
      throw new MatrixError("layer must be empty (outer) or '.1' to '.9' (inner)");
    const value = (param('value') ?? 'bytes') as MatrixValue;
    if (value !== 'bytes' && value !== 'frames') throw new MatrixError("value must be 'bytes' or 'frames'");
    const maxFlows = Math.floor(num('maxFlows', 1000, 1, 10_000));
    const minValue = num('minValue', 1, 0, Number.MAX_VALUE);
    const inset = num('inset', 0, 0, MAX_INSET);

    let family = param('family') as HostFamily | undefined;
    if (family !== undefined && family !== 'ip' && family !== 'ip6' && family !== 'mac')
      throw new MatrixError("family must be 'ip', 'ip6' or 'mac'");
    let xRange: AxisRange | undefined;
    let yRange: AxisRange | undefined;
    if (mode === 'range') {
      if (family === 'mac') throw new MatrixError('range mode orders IP addresses: family must be ip or ip6');
      // The family is the one of the addresses given (all must agree), else the parameter, else IPv4.
      const texts = ['start', 'end', 'srcStart', 'srcEnd', 'dstStart', 'dstEnd'];
      const parsed = new Map<string, bigint>();
      for (const name of texts) {
        const text = param(name);
        if (text === undefined) continue;
        const a = parseAddress(text);
        if (a === undefined) throw new MatrixError(`${name} '${text}' is not an IPv4 or IPv6 address`);
        family ??= a.family;
        if (a.family !== family)
          throw new MatrixError(`${name} '${text}' is not of the matrix's family (${family})`);
        parsed.set(name, a.value);
      }
      const whole = fullRange((family ?? 'ip') as AddressFamily, inset);
      const axis = (prefix: 'src' | 'dst'): AxisRange =>
        checkRange({
          ...whole,
          start: parsed.get(`${prefix}Start`) ?? parsed.get('start') ?? whole.start,
          end: parsed.get(`${prefix}End`) ?? parsed.get('end') ?? whole.end,
        });
      xRange = axis('src');
      yRange = axis('dst');
      family ??= 'ip';
    }
    family ??= 'ip';

    const now = this.deps.now();
    const flow = this.ensureFlow(family, layer, value, now);
    const out: MatrixResponse = {
      mode,
      family,
      layer,
      value,
      flow: flow.name,
      keys: flow.keys,
      cells: [],
      max: 0,
      logMax: 0,
      flows: 0,
      outside: 0,
      unlocated: 0,
      time: now,
    };
    if (mode === 'range' && xRange !== undefined && yRange !== undefined) {
      const text = (r: AxisRange): AxisText => ({
        start: formatAddress(r.family, r.start),
        end: formatAddress(r.family, r.end),
        inset: r.inset,
      });
      out.x = text(xRange);
      out.y = text(yRange);
      // Without borders, flows outside the range are dropped: read deeper so the range still fills up.
      const read = inset > 0 ? maxFlows : Math.min(100_000, maxFlows * 10);
      const flows = this.deps.engine.activeFlows(flow.name, { maxFlows: read, minValue }, now) ?? [];
      out.flows = flows.length;
      const place = family === 'ip' ? placer4(xRange, yRange) : placer6(xRange, yRange);
      for (const f of flows) {
        if (out.cells.length >= maxFlows) break;
        const comma = f.key.indexOf(',');
        const src = f.key.slice(0, comma);
        const dst = f.key.slice(comma + 1);
        const xy = place(src, dst);
        if (xy === undefined) {
          out.outside++;
          continue;
        }
        out.cells.push({ x: xy[0], y: xy[1], value: f.value, src, dst });
      }
    } else {
      const layout = this.learnLocations(family, layer, now);
      out.nodes = layout.spans();
      out.located = this.locator.learnedCount;
      const flows =
        this.deps.engine.activeFlows(
          flow.name,
          { maxFlows: Math.min(100_000, maxFlows * 4), minValue, aggMode: 'edge' },
          now,
        ) ?? [];
      out.flows = flows.length;
      const place = (host: string) => {
        const canonical = family === 'ip' ? host : canonicalHost(host);
        const loc = canonical === undefined ? undefined : this.locator.locate(canonical);
        if (loc === undefined) return undefined;
        const p = layout.position(loc);
        return p === undefined ? undefined : { p, at: `${loc.node}:${loc.ifIndex}` };
      };
      for (const f of flows) {
        if (out.cells.length >= maxFlows) break;
        const comma = f.key.indexOf(',');
        const src = f.key.slice(0, comma);
        const dst = f.key.slice(comma + 1);
        const s = place(src);
        const d = place(dst);
        if (s === undefined || d === undefined) {
          out.unlocated++;
          continue;
        }
        out.cells.push({ x: s.p, y: d.p, value: f.value, src, dst, srcAt: s.at, dstAt: d.at });
      }
    }
    for (const c of out.cells) if (c.value > out.max) out.max = c.value;
    out.logMax = out.max > 0 ? Math.log10(out.max) : 0;
    return out;
  }

  /** Defines (once) the flow a family/layer/value combination reads. */
  private ensureFlow(family: HostFamily, layer: string, value: MatrixValue, now: number) {
    const name = `${MATRIX_FLOW_PREFIX}${family}${layer.replace('.', '_')}_${value}`;
    const keys = `${sourceKey(family)}${layer},${destinationKey(family)}${layer}`;
    this.define(name, { keys, value, t: 2, n: 100 }, now);
    return { name, keys };
  }

  private define(name: string, def: Record<string, unknown>, now: number): void {
    const engine = this.deps.engine;
    const have = engine.flow(name);
    if (have === undefined || have.keys !== def.keys || have.value !== def.value) engine.setFlow(name, def);
    this.lastUsed.set(name, now);
  }

  /** Relearns host locations from the locating flow when they are older than the refresh interval. */
  private learnLocations(family: HostFamily, layer: string, now: number): MatrixLayout {
    const name = `${MATRIX_FLOW_PREFIX}locate_${family}${layer.replace('.', '_')}`;
    // Where each source address enters the network: agent and input port, sampled anywhere.
    this.define(
      name,
      { keys: `agent,inputifindex,${sourceKey(family)}${layer}`, value: 'frames', t: 10, n: 50 },
      now,
    );
    const last = this.learnedAt.get(name) ?? 0;
    if (now - last >= LOCATE_REFRESH_MS) {
      this.learnedAt.set(name, now);
      const flows = this.deps.engine.activeFlows(name, { maxFlows: 100_000, aggMode: 'max' }, now) ?? [];
      const sightings = [];
      for (const f of flows) {
        const a = f.key.indexOf(',');
        const b = f.key.indexOf(',', a + 1);
        if (a < 0 || b < 0) continue;
        const address = family === 'ip' ? f.key.slice(b + 1) : canonicalHost(f.key.slice(b + 1));
        if (address === undefined) continue;
        sightings.push({ agent: f.key.slice(0, a), ifIndex: f.key.slice(a + 1, b), address, value: f.value });
      }
      this.locator.learn(sightings);
    }
    return this.locator.layout();
  }

  /**
   * Deletes the matrix's flows that no query has read for MATRIX_IDLE_MS,
   * including ones restored from saved state that no one asks for any more.
   */
  sweep(now: number): void {
    const engine = this.deps.engine;
    if (!this.adopted) {
      this.adopted = true;
      for (const name of engine.flowNames())
        if (name.startsWith(MATRIX_FLOW_PREFIX) && !this.lastUsed.has(name)) this.lastUsed.set(name, now);
    }
    for (const [name, at] of this.lastUsed) {
      if (now - at < MATRIX_IDLE_MS) continue;
      engine.deleteFlow(name);
      this.lastUsed.delete(name);
      this.learnedAt.delete(name);
    }
  }
}

type Placer = (src: string, dst: string) => [number, number] | undefined;

function placer4(x: AxisRange, y: AxisRange): Placer {
  const xs = Number(x.start);
  const xe = Number(x.end);
  const ys = Number(y.start);
  const ye = Number(y.end);
  return (src, dst) => {
    const s = ipv4Number(src);
    const d = ipv4Number(dst);
    if (s === undefined || d === undefined) return undefined;
    const px = position4(xs, xe, x.inset, s);
    const py = position4(ys, ye, y.inset, d);
    return px === undefined || py === undefined ? undefined : [px, py];
  };
}

function placer6(x: AxisRange, y: AxisRange): Placer {
  return (src, dst) => {
    const s = parseIPv6(src);
    const d = parseIPv6(dst);
    if (s === undefined || d === undefined) return undefined;
    const px = position(x, s);
    const py = position(y, d);
    return px === undefined || py === undefined ? undefined : [px, py];
  };
}
