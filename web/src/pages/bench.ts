/**
 * Heatmap benchmark (#/bench?n=1000&frames=60): renders an n x n matrix (a
 * point in every cell, log-uniform values from 1 B/s to 100 MB/s, four
 * value sets cycled so every frame is new data) frame after frame on
 * requestAnimationFrame, through the same renderer as the heatmap page, and
 * reports frames per second.
 *
 * Each frame does all the work a live update does: bin every point, blur,
 * colour, copy the image, draw it scaled with the grid, axes and labels.
 * Scenarios: the dense matrix as the page renders it (blobs no wider than the
 * spacing, i.e. one bin per cell), the dense matrix with a forced 9-bin blur
 * (worst case), and 1,000 scattered flows (the usual live case).
 */
import { css, h, replace } from '../dom.js';
import { type Decor, HeatmapRenderer, type Points } from '../heatmap/render.js';
import type { Page } from './page.js';

export interface BenchResult {
  scenario: string;
  cells: number;
  grid: number;
  blur: number;
  frames: number;
  seconds: number;
  fps: number;
  scriptMsAvg: number;
  scriptMsP95: number;
}

/** Small deterministic generator (so runs compare). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function densePoints(n: number, variants: number): Points[] {
  const r = rng(7);
  const count = n * n;
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      x[i * n + j] = (i + 0.5) / n;
      y[i * n + j] = (j + 0.5) / n;
    }
  }
  return Array.from({ length: variants }, () => {
    const value = new Float64Array(count);
    for (let k = 0; k < count; k++) value[k] = 10 ** (r() * 8);
    return { count, x, y, value };
  });
}

function scatteredPoints(count: number, variants: number): Points[] {
  const r = rng(11);
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    x[k] = r();
    y[k] = r();
  }
  return Array.from({ length: variants }, () => {
    const value = new Float64Array(count);
    for (let k = 0; k < count; k++) value[k] = 10 ** (r() * 8);
    return { count, x, y, value };
  });
}

const DECOR: Decor = {
  gridX: Array.from({ length: 11 }, (_v, k) => k / 10),
  gridY: Array.from({ length: 11 }, (_v, k) => k / 10),
  diagonal: [
    [0, 0],
    [1, 1],
  ],
  xLabels: [
    { at: 0, text: '0.0.0.0' },
    { at: 1, text: '255.255.255.255' },
  ],
  yLabels: [
    { at: 0, text: '0.0.0.0' },
    { at: 1, text: '255.255.255.255' },
  ],
  xTitle: 'source →',
  yTitle: 'destination →',
};

function nextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(resolve));
}

async function run(
  canvas: HTMLCanvasElement,
  scenario: string,
  sets: Points[],
  grid: number,
  blur: number,
  frames: number,
): Promise<BenchResult> {
  const r = new HeatmapRenderer(canvas);
  r.fixedGrid = grid;
  r.forceBlur = blur;
  r.resize();
  const colours = {
    bg: css('--plot-bg') || '#0a0e13',
    grid: css('--grid') || '#26303c',
    axis: css('--axis') || '#e0e0e0',
    text: css('--fg-muted') || '#9aa4b2',
    box: css('--fg-muted') || '#9aa4b2',
  };
  const logMax = 8;
  const frame = (i: number) => {
    r.compute(sets[i % sets.length], logMax);
    r.draw(DECOR, colours);
  };
  // Warm up (JIT, buffers), not counted.
  for (let i = 0; i < 3; i++) {
    await nextFrame();
    frame(i);
  }
  const script: number[] = [];
  const t0 = await nextFrame();
  let last = t0;
  for (let i = 0; i < frames; i++) {
    const s = performance.now();
    frame(i);
    script.push(performance.now() - s);
    last = await nextFrame();
  }
  const seconds = (last - t0) / 1000;
  script.sort((a, b) => a - b);
  return {
    scenario,
    cells: sets[0].count,
    grid: r.gridSize,
    blur: r.blurRadiusBins,
    frames,
    seconds,
    fps: frames / seconds,
    scriptMsAvg: script.reduce((a, b) => a + b, 0) / script.length,
    scriptMsP95: script[Math.min(script.length - 1, Math.floor(script.length * 0.95))],
  };
}

export const benchPage: Page = {
  title: 'Heatmap benchmark',
  mount(root, params) {
    const n = Math.max(10, Math.min(2000, Number(params.get('n') ?? 1000) || 1000));
    const frames = Math.max(5, Math.min(1000, Number(params.get('frames') ?? 60) || 60));
    const canvas = h('canvas', { class: 'heat' });
    const box = h('div', { class: 'heatmap-box', style: 'width:720px;max-width:100%' }, canvas);
    const out = h('pre', { id: 'bench-result', 'data-state': 'running' }, 'running…');
    root.append(
      h('h2', {}, `Heatmap benchmark: ${n} x ${n} cells`),
      h('p', { class: 'hint' }, `${frames} frames per scenario, each a full re-render of new values.`),
      box,
      out,
    );
    let cancelled = false;
    void (async () => {
      const results: BenchResult[] = [];
      const dense = densePoints(n, 4);
      results.push(await run(canvas, `dense ${n}x${n}`, dense, n, -1, frames));
      if (cancelled) return;
      results.push(await run(canvas, `dense ${n}x${n}, 9-bin blur forced`, dense, n, 3, frames));
      if (cancelled) return;
      results.push(await run(canvas, '1000 scattered flows', scatteredPoints(1000, 4), 0, -1, frames));
      if (cancelled) return;
      out.dataset.state = 'done';
      out.dataset.fps = results[0].fps.toFixed(1);
      replace(
        out,
        results
          .map(
            (b) =>
              `${b.scenario}: ${b.fps.toFixed(1)} fps over ${b.frames} frames (${b.seconds.toFixed(2)} s); ` +
              `script ${b.scriptMsAvg.toFixed(1)} ms avg, ${b.scriptMsP95.toFixed(1)} ms p95; grid ${b.grid}, blur ${b.blur} bins`,
          )
          .join('\n'),
      );
      out.dataset.json = JSON.stringify(results);
    })();
    return () => {
      cancelled = true;
    };
  },
};
