/**
 * Heatmap: the traffic matrix (GET /app/matrix/json, every second) on a
 * canvas, sources along x and destinations up y, colour on a log scale from
 * blue to red. Hover tells source, destination and rate; dragging a
 * rectangle zooms (range mode: re-queried with the rectangle's address
 * ranges; topology mode: the view narrows); a click opens that flow in the
 * flow browser.
 */
import {
  type AddressFamily,
  type AxisRange,
  addressAt,
  formatAddress,
  parseAddress,
  position,
} from '../../../src/apps/matrix/scale.js';
import type { AxisText, MatrixCell, MatrixResponse } from '../../../src/apps/matrix/wire.js';
import { aborted, getJson, poll } from '../api.js';
import { css, h, replace, setText } from '../dom.js';
import { bps, count, pps } from '../format.js';
import {
  type Decor,
  FULL_VIEW,
  HeatmapRenderer,
  type Points,
  scaleStrip,
  type View,
} from '../heatmap/render.js';
import { type Page, setParams } from './page.js';

/** The parameters the page keeps in its URL and sends to /app/matrix/json. */
const PARAMS = [
  'mode',
  'family',
  'start',
  'end',
  'srcStart',
  'srcEnd',
  'dstStart',
  'dstEnd',
  'inset',
  'layer',
  'value',
  'maxFlows',
];

export function toPoints(cells: MatrixCell[]): Points {
  const n = cells.length;
  const p: Points = { count: n, x: new Float32Array(n), y: new Float32Array(n), value: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    p.x[i] = cells[i].x;
    p.y[i] = cells[i].y;
    p.value[i] = cells[i].value;
  }
  return p;
}

function axisRange(a: AxisText): AxisRange | undefined {
  const s = parseAddress(a.start);
  const e = parseAddress(a.end);
  if (s === undefined || e === undefined || s.family !== e.family) return undefined;
  return { family: s.family, start: s.value, end: e.value, inset: a.inset };
}

/** Where source = destination: exact as a polyline through the breakpoints of both piecewise-linear axes. */
export function diagonal(x: AxisRange, y: AxisRange): [number, number][] {
  const max = x.family === 'ip' ? (1n << 32n) - 1n : (1n << 128n) - 1n;
  const marks = [...new Set([0n, x.start, x.end, y.start, y.end, max])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const out: [number, number][] = [];
  for (const a of marks) {
    const px = position(x, a);
    const py = position(y, a);
    if (px !== undefined && py !== undefined) out.push([px, py]);
  }
  return out;
}

function rangeDecor(m: MatrixResponse): Decor {
  const xa = m.x as AxisText;
  const ya = m.y as AxisText;
  const ticks = (inset: number) => Array.from({ length: 11 }, (_v, k) => inset + (k / 10) * (1 - 2 * inset));
  const d: Decor = {
    gridX: ticks(xa.inset),
    gridY: ticks(ya.inset),
    xLabels: [
      { at: xa.inset, text: xa.start },
      { at: 1 - xa.inset, text: xa.end },
    ],
    yLabels: [
      { at: ya.inset, text: ya.start },
      { at: 1 - ya.inset, text: ya.end },
    ],
    xTitle: 'source →',
    yTitle: 'destination →',
  };
  if (xa.inset > 0 || ya.inset > 0)
    d.box = { x0: xa.inset, x1: 1 - xa.inset, y0: ya.inset, y1: 1 - ya.inset };
  const xr = axisRange(xa);
  const yr = axisRange(ya);
  if (xr !== undefined && yr !== undefined) d.diagonal = diagonal(xr, yr);
  return d;
}

function topologyDecor(m: MatrixResponse): Decor {
  const nodes = m.nodes ?? [];
  const ports: number[] = [];
  const totalPorts = nodes.reduce((n, s) => n + s.ports.length, 0);
  // Port lines only while they stay a few pixels apart; node boundaries always.
  if (totalPorts <= 96) {
    for (const s of nodes)
      for (let r = 1; r < s.ports.length; r++) ports.push(s.start + (r / s.ports.length) * (s.end - s.start));
  }
  const bounds = nodes.slice(1).map((s) => s.start);
  const labels = nodes.map((s) => ({ at: (s.start + s.end) / 2, text: s.name }));
  return {
    gridX: ports,
    gridY: ports,
    majorX: bounds,
    majorY: bounds,
    diagonal: [
      [0, 0],
      [1, 1],
    ],
    xLabels: labels,
    yLabels: labels,
    xTitle: 'source switch →',
    yTitle: 'destination switch →',
  };
}

/** Flow-browser keys that show what a matrix cell is made of, and the filter that selects it. */
export function drillDown(
  m: MatrixResponse,
  cell: MatrixCell,
): { keys: string; filter: string; value: string } {
  const l = m.layer;
  const [src, dst] = m.keys.split(',');
  let rest: string[];
  if (m.family === 'mac') rest = ['ethernetprotocol'];
  else
    rest = [
      m.family === 'ip6' ? `ip6nexthdr${l}` : `ipprotocol${l}`,
      `or:tcpsourceport${l}:udpsourceport${l}`,
      `or:tcpdestinationport${l}:udpdestinationport${l}`,
    ];
  return {
    keys: [src, dst, ...rest].join(','),
    filter: `${src}=${cell.src}&${dst}=${cell.dst}`,
    value: m.value === 'bytes' ? 'bps' : 'fps',
  };
}

function control(label: string, input: HTMLElement, cls = ''): HTMLLabelElement {
  return h('label', { class: cls }, label, input);
}

export const heatmapPage: Page = {
  title: 'Heatmap',
  nav: 'Heatmap',
  mount(root, params) {
    const state = new URLSearchParams();
    for (const k of PARAMS) {
      const v = params.get(k);
      if (v !== null && v !== '') state.set(k, v);
    }
    const mode = h(
      'select',
      { name: 'mode' },
      h('option', { value: 'range' }, 'range'),
      h('option', { value: 'topology' }, 'topology'),
    );
    const family = h(
      'select',
      { name: 'family' },
      h('option', { value: 'ip' }, 'IPv4'),
      h('option', { value: 'ip6' }, 'IPv6'),
      h('option', { value: 'mac' }, 'MAC'),
    );
    const start = h('input', { name: 'start', placeholder: '0.0.0.0', size: 16, spellcheck: 'false' });
    const end = h('input', { name: 'end', placeholder: '255.255.255.255', size: 16, spellcheck: 'false' });
    const inset = h('input', {
      name: 'inset',
      type: 'number',
      min: 0,
      max: 0.2,
      step: 0.01,
      value: '0',
      style: 'width:5em',
    });
    const layer = h(
      'select',
      { name: 'layer' },
      h('option', { value: '' }, 'outer'),
      h('option', { value: '.1' }, 'inner (.1)'),
    );
    const value = h(
      'select',
      { name: 'value' },
      h('option', { value: 'bytes' }, 'bits/s'),
      h('option', { value: 'frames' }, 'packets/s'),
    );
    const maxFlows = h('input', {
      name: 'maxFlows',
      type: 'number',
      min: 1,
      max: 10000,
      value: '1000',
      style: 'width:6em',
    });
    const apply = h('button', { type: 'submit', class: 'primary' }, 'Apply');
    const back = h('button', { type: 'button', title: 'undo the last zoom' }, 'Back');
    const reset = h('button', { type: 'button', title: 'show the whole range again' }, 'Reset zoom');
    const form = h(
      'form',
      { class: 'controls' },
      control('mode', mode),
      control('addresses', family),
      control('start', start, 'range-only'),
      control('end', end, 'range-only'),
      control('inset', inset, 'range-only'),
      control('layer', layer),
      control('value', value),
      control('max flows', maxFlows),
      h('div', { class: 'buttons' }, apply, back, reset),
    );
    const base = h('canvas', { class: 'heat', 'aria-label': 'traffic matrix heatmap' });
    const overlay = h('canvas', { class: 'overlay' });
    const tooltip = h('div', { class: 'tooltip', role: 'status' });
    const box = h('div', { class: 'heatmap-box' }, base, overlay, tooltip);
    const status = h('div', { class: 'status-line' });
    const legendCanvas = h('canvas', { width: 256, height: 1 });
    const ticks = h('div', { class: 'ticks' });
    const hint = h('p', { class: 'hint' });
    const side = h(
      'aside',
      { class: 'panel' },
      h('h3', {}, 'Colour scale (log)'),
      h('div', { class: 'legend-scale' }, legendCanvas, ticks),
      status,
      hint,
      h(
        'p',
        { class: 'hint' },
        'Hover a point for its flow; drag a rectangle to zoom; click a point to open it in the flow browser. ',
        'x: source, y: destination; the diagonal is traffic a host sends itself.',
      ),
    );
    root.appendChild(h('h2', {}, 'Traffic matrix'));
    root.appendChild(form);
    root.appendChild(h('div', { class: 'heatmap-layout' }, h('div', { class: 'panel' }, box), side));
    const legendCtx = legendCanvas.getContext('2d');
    if (legendCtx !== null) scaleStrip(legendCtx, 256, 1);

    const renderer = new HeatmapRenderer(base);
    const octx = overlay.getContext('2d') as CanvasRenderingContext2D;
    let answer: MatrixResponse | undefined;
    let view: View = FULL_VIEW;
    const zooms: { params: string; view: View }[] = [];
    let hovered = -1;

    const fillForm = () => {
      mode.value = state.get('mode') ?? 'range';
      family.value = state.get('family') ?? (state.get('start')?.includes(':') ? 'ip6' : 'ip');
      start.value = state.get('start') ?? '';
      end.value = state.get('end') ?? '';
      inset.value = state.get('inset') ?? '0';
      layer.value = state.get('layer') ?? '';
      value.value = state.get('value') ?? 'bytes';
      maxFlows.value = state.get('maxFlows') ?? '1000';
      const range = mode.value === 'range';
      for (const el of form.querySelectorAll<HTMLElement>('.range-only'))
        el.style.display = range ? '' : 'none';
      (family.querySelector('option[value="mac"]') as HTMLOptionElement).disabled = range;
      start.placeholder = family.value === 'ip6' ? '::' : '0.0.0.0';
      end.placeholder = family.value === 'ip6' ? 'ffff:…:ffff' : '255.255.255.255';
      back.disabled = zooms.length === 0;
      reset.disabled =
        zooms.length === 0 && !['srcStart', 'srcEnd', 'dstStart', 'dstEnd'].some((k) => state.has(k));
    };
    fillForm();
    mode.addEventListener('change', () => {
      if (mode.value === 'range' && family.value === 'mac') family.value = 'ip';
      const range = mode.value === 'range';
      for (const el of form.querySelectorAll<HTMLElement>('.range-only'))
        el.style.display = range ? '' : 'none';
      (family.querySelector('option[value="mac"]') as HTMLOptionElement).disabled = range;
    });
    family.addEventListener('change', () => {
      start.value = '';
      end.value = '';
    });

    const colours = () => ({
      bg: css('--plot-bg') || '#0a0e13',
      grid: css('--grid') || '#26303c',
      axis: css('--axis') || '#e0e0e0',
      text: css('--fg-muted') || '#9aa4b2',
      box: css('--fg-muted') || '#9aa4b2',
    });
    const rate = (v: number) => (answer?.value === 'frames' ? pps(v) : bps(v * 8));

    const redraw = (recompute: boolean) => {
      const resized = renderer.resize();
      overlay.width = base.width;
      overlay.height = base.height;
      if (answer === undefined) return;
      renderer.view = view;
      if (recompute || resized) renderer.compute(toPoints(answer.cells), answer.logMax);
      renderer.draw(answer.mode === 'range' ? rangeDecor(answer) : topologyDecor(answer), colours());
      const p = renderer.plotRect();
      base.dataset.plot = [p.x, p.y, p.w, p.h].map((n) => n.toFixed(1)).join(',');
      base.dataset.cells = String(answer.cells.length);
      drawOverlay();
    };

    const setLegend = () => {
      if (answer === undefined) return;
      const lm = answer.logMax;
      const at = (z: number) => rate(10 ** (z * lm));
      replace(ticks, h('span', {}, at(0)), h('span', {}, at(0.5)), h('span', {}, at(1)));
    };

    let drag: { x: number; y: number; x2: number; y2: number; id: number } | undefined;
    const drawOverlay = () => {
      const dpr = base.width / Math.max(1, base.getBoundingClientRect().width);
      octx.setTransform(dpr, 0, 0, dpr, 0, 0);
      octx.clearRect(0, 0, overlay.width, overlay.height);
      const fg = css('--fg') || '#fff';
      if (hovered >= 0 && answer !== undefined && answer.cells[hovered] !== undefined) {
        const c = answer.cells[hovered];
        const q = renderer.toCss(c.x, c.y);
        octx.strokeStyle = fg;
        octx.lineWidth = 1.5;
        octx.beginPath();
        octx.arc(q.x, q.y, 7, 0, Math.PI * 2);
        octx.stroke();
      }
      if (drag !== undefined) {
        octx.fillStyle = 'rgba(78, 154, 241, 0.15)';
        octx.strokeStyle = '#4e9af1';
        octx.lineWidth = 1;
        const x = Math.min(drag.x, drag.x2);
        const y = Math.min(drag.y, drag.y2);
        octx.fillRect(x, y, Math.abs(drag.x2 - drag.x), Math.abs(drag.y2 - drag.y));
        octx.strokeRect(x + 0.5, y + 0.5, Math.abs(drag.x2 - drag.x), Math.abs(drag.y2 - drag.y));
      }
    };

    const showTooltip = (i: number, cssX: number, cssY: number, touch: boolean) => {
      hovered = i;
      if (i < 0 || answer === undefined) {
        tooltip.style.display = 'none';
        drawOverlay();
        return;
      }
      const c = answer.cells[i];
      const where = c.srcAt !== undefined ? h('div', { class: 'muted' }, `${c.srcAt} → ${c.dstAt}`) : null;
      replace(
        tooltip,
        h('div', {}, h('span', { class: 'muted' }, 'src '), c.src),
        h('div', {}, h('span', { class: 'muted' }, 'dst '), c.dst),
        where,
        h('div', { class: 'rate' }, rate(c.value)),
        touch ? h('a', { href: flowLink(c) }, 'open in flow browser') : null,
      );
      tooltip.classList.toggle('touch', touch);
      tooltip.style.display = 'block';
      const bw = box.clientWidth;
      const tw = tooltip.offsetWidth;
      const th = tooltip.offsetHeight;
      tooltip.style.left = `${Math.max(0, Math.min(bw - tw, cssX + 14))}px`;
      tooltip.style.top = `${Math.max(0, cssY - th - 10)}px`;
      drawOverlay();
    };

    const flowLink = (c: MatrixCell) => {
      const d = drillDown(answer as MatrixResponse, c);
      const q = new URLSearchParams({ keys: d.keys, value: d.value, filter: d.filter });
      return `#/flows?${q.toString()}`;
    };

    const local = (e: PointerEvent) => {
      const r = overlay.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    overlay.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const q = local(e);
      drag = { x: q.x, y: q.y, x2: q.x, y2: q.y, id: e.pointerId };
      overlay.setPointerCapture(e.pointerId);
    });
    overlay.addEventListener('pointermove', (e) => {
      const q = local(e);
      if (drag !== undefined && drag.id === e.pointerId) {
        drag.x2 = q.x;
        drag.y2 = q.y;
        if (Math.abs(drag.x2 - drag.x) + Math.abs(drag.y2 - drag.y) > 4) tooltip.style.display = 'none';
        drawOverlay();
        return;
      }
      if (e.pointerType === 'mouse') showTooltip(renderer.hit(q.x, q.y), q.x, q.y, false);
    });
    overlay.addEventListener('pointerleave', () => {
      if (drag === undefined) showTooltip(-1, 0, 0, false);
    });
    overlay.addEventListener('pointercancel', () => {
      drag = undefined;
      drawOverlay();
    });
    overlay.addEventListener('pointerup', (e) => {
      if (drag === undefined || drag.id !== e.pointerId) return;
      const d = drag;
      drag = undefined;
      const moved = Math.abs(d.x2 - d.x) + Math.abs(d.y2 - d.y);
      if (moved < 5) {
        const i = renderer.hit(d.x, d.y);
        if (e.pointerType !== 'mouse') showTooltip(i, d.x, d.y, true);
        else if (i >= 0 && answer !== undefined) location.hash = flowLink(answer.cells[i]);
        drawOverlay();
        return;
      }
      zoomTo(
        renderer.toUnit(Math.min(d.x, d.x2), Math.max(d.y, d.y2)),
        renderer.toUnit(Math.max(d.x, d.x2), Math.min(d.y, d.y2)),
      );
    });

    /** a = lower-left, b = upper-right corner of the dragged rectangle, in unit coordinates. */
    const zoomTo = (a: { x: number; y: number }, b: { x: number; y: number }) => {
      if (answer === undefined) return;
      const clamp = (u: number) => Math.min(1, Math.max(0, u));
      const x0 = clamp(a.x);
      const x1 = clamp(b.x);
      const y0 = clamp(a.y);
      const y1 = clamp(b.y);
      if (x1 - x0 < 1e-9 || y1 - y0 < 1e-9) return drawOverlay();
      if (answer.mode === 'range' && answer.x !== undefined && answer.y !== undefined) {
        const xr = axisRange(answer.x);
        const yr = axisRange(answer.y);
        if (xr === undefined || yr === undefined) return;
        const fam: AddressFamily = xr.family;
        const xs = addressAt(xr, x0);
        const xe = addressAt(xr, x1);
        const ys = addressAt(yr, y0);
        const ye = addressAt(yr, y1);
        if (xe <= xs || ye <= ys) return drawOverlay();
        zooms.push({ params: state.toString(), view });
        state.set('srcStart', formatAddress(fam, xs));
        state.set('srcEnd', formatAddress(fam, xe));
        state.set('dstStart', formatAddress(fam, ys));
        state.set('dstEnd', formatAddress(fam, ye));
        commit();
      } else {
        zooms.push({ params: state.toString(), view });
        view = { x0, x1, y0, y1 };
        fillForm();
        redraw(true);
      }
    };

    back.addEventListener('click', () => {
      const z = zooms.pop();
      if (z === undefined) return;
      for (const k of PARAMS) state.delete(k);
      for (const [k, v] of new URLSearchParams(z.params)) state.set(k, v);
      view = z.view;
      commit();
    });
    reset.addEventListener('click', () => {
      for (const k of ['srcStart', 'srcEnd', 'dstStart', 'dstEnd']) state.delete(k);
      zooms.length = 0;
      view = FULL_VIEW;
      commit();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      for (const k of PARAMS) state.delete(k);
      const set = (k: string, v: string, dflt: string) => {
        if (v !== '' && v !== dflt) state.set(k, v);
      };
      set('mode', mode.value, 'range');
      set('family', family.value, '');
      if (mode.value === 'range') {
        set('start', start.value.trim(), '');
        set('end', end.value.trim(), '');
        set('inset', inset.value, '0');
      }
      set('layer', layer.value, '');
      set('value', value.value, 'bytes');
      set('maxFlows', maxFlows.value, '1000');
      zooms.length = 0;
      view = FULL_VIEW;
      commit();
    });

    let refresh: () => void = () => {};
    const commit = () => {
      setParams('heatmap', state);
      fillForm();
      refresh();
    };

    const resize = new ResizeObserver(() => redraw(false));
    resize.observe(box);

    let stop: () => void = () => {};
    let generation = 0;
    const load = () => {
      stop();
      const gen = ++generation;
      stop = poll(1000, async (signal) => {
        const q = new URLSearchParams(state);
        try {
          const m = await getJson<MatrixResponse>(`/app/matrix/json?${q.toString()}`, signal);
          if (gen !== generation) return;
          answer = m;
          if (hovered >= m.cells.length) hovered = -1;
          redraw(true);
          setLegend();
          const parts = [`${count(m.cells.length)} flows shown`];
          if (m.outside > 0) parts.push(`${count(m.outside)} outside the range`);
          if (m.mode === 'topology')
            parts.push(`${count(m.located ?? 0)} hosts located, ${count(m.unlocated)} flows unlocated`);
          parts.push(`top ${rate(m.max)}`);
          setText(status, parts.join(' · '));
          status.classList.remove('error');
          setText(
            hint,
            m.mode === 'topology' && (m.nodes ?? []).length === 0
              ? 'Topology mode places hosts by switch and port: load a topology (PUT /topology/json) so hosts can be learned from their access ports, or map them (PUT /app/matrix/hosts/json).'
              : `flow ${m.flow}: keys ${m.keys}`,
          );
        } catch (err) {
          if (aborted(err)) return;
          setText(status, `cannot read the matrix: ${(err as Error).message}`);
          status.classList.add('error');
        }
      });
    };
    refresh = load;
    load();

    return () => {
      stop();
      resize.disconnect();
    };
  },
};
