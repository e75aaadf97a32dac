/**
 * The heatmap renderer: source x destination points to pixels without one
 * canvas call per point.
 *
 *  1. bin     each point lands in a G x G grid (G up to 1024, or fixed), adding
 *             -ln(1 - a) for its opacity a = 0.1 + 0.85 z, where
 *             z = log10(value) / log10(max) is the log colour scale (log2
 *             read from the float's bits: no Math.log per point)
 *  2. spread  a separable blur (three running-sum box passes per axis)
 *             turns each point into a soft blob whose centre keeps a; where
 *             blobs overlap their opacities combine like a "screen" blend
 *             (1 - prod(1 - a)), because their -ln(1 - a) add up
 *  3. colour  A = 1 - exp(-S) through a 4096-entry table to a hue from blue
 *             (A small, 240 deg) to red (A = 1, 0 deg); nearly clear cells stay
 *             transparent; written as 32-bit pixels into one ImageData
 *  4. draw    putImageData on an offscreen G x G canvas, one drawImage scaled
 *             onto the plot, then grid, inset box, diagonal, axes and labels
 *
 * Every step is linear in points or pixels: a dense 1,000 x 1,000 matrix is
 * a million adds, a few million blur operations and one image copy.
 */

export interface Points {
  count: number;
  /** Unit positions: x = source (0 left), y = destination (0 bottom). */
  x: Float32Array;
  y: Float32Array;
  value: Float64Array;
}

/** The part of the unit square on show (client-side zoom); the full square by default. */
export interface View {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

export const FULL_VIEW: View = { x0: 0, x1: 1, y0: 0, y1: 1 };

export interface AxisLabel {
  at: number;
  text: string;
}

/** What is drawn around the points, in unit coordinates. */
export interface Decor {
  gridX: number[];
  gridY: number[];
  /** Heavier lines (node boundaries in topology mode). */
  majorX?: number[];
  majorY?: number[];
  box?: View;
  diagonal?: [number, number][];
  xLabels: AxisLabel[];
  yLabels: AxisLabel[];
  xTitle: string;
  yTitle: string;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const LUT_SIZE = 4096;
/** S (the summed -ln(1 - a)) covered by the colour table; beyond it the colour is the last one. */
const LUT_RANGE = 7;
const Z_STEPS = 256;

/** 32-bit RGBA (little-endian: ABGR in the word) for a hue in degrees at full saturation. */
function hsla(hue: number, alpha: number): number {
  const f = (n: number) => {
    const k = (n + hue / 30) % 12;
    return 0.5 - 0.5 * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  const r = Math.round(f(0) * 255);
  const g = Math.round(f(8) * 255);
  const b = Math.round(f(4) * 255);
  const a = Math.round(alpha * 255);
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}

/** Colour of a combined opacity A in [0, 1]: the scale shown in the legend too. */
export function colourOf(A: number): number {
  if (A <= 5 / 255) return 0;
  return hsla((1 - A) * 240, Math.min(1, 0.35 + A * 1.3));
}

const COLOURS = (() => {
  const t = new Uint32Array(LUT_SIZE + 1);
  for (let i = 0; i <= LUT_SIZE; i++) t[i] = colourOf(1 - Math.exp(-(i / LUT_SIZE) * LUT_RANGE));
  return t;
})();

/** -ln(1 - a) for z in [0, 1] in Z_STEPS steps, a = 0.1 + 0.85 z. */
const S_OF_Z = (() => {
  const t = new Float32Array(Z_STEPS + 1);
  for (let i = 0; i <= Z_STEPS; i++) t[i] = -Math.log(1 - (0.1 + 0.85 * (i / Z_STEPS)));
  return t;
})();

/** Opacity of one bin before spreading, at most 0.97 (S = -ln(1 - 0.97)). */
const S_CAP = -Math.log(1 - 0.97);

/** The centre value of a unit impulse after three box sums of radius k (1-D), to scale the peak back to 1. */
function boxPeak(k: number): number {
  let v = [1];
  for (let pass = 0; pass < 3; pass++) {
    const out = new Array<number>(v.length + 2 * k).fill(0);
    for (let i = 0; i < v.length; i++) for (let d = 0; d <= 2 * k; d++) out[i + d] += v[i];
    v = out;
  }
  return v[(v.length - 1) / 2];
}

/** Scratch for reading a float32's bits. */
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Running-sum box filter along rows: dst[x] = sum of src[x-k .. x+k] (zero outside). */
function boxRows(src: Float32Array, dst: Float32Array, n: number, k: number): void {
  for (let row = 0; row < n; row++) {
    const o = row * n;
    let sum = 0;
    for (let x = 0; x < k && x < n; x++) sum += src[o + x];
    for (let x = 0; x < n; x++) {
      if (x + k < n) sum += src[o + x + k];
      dst[o + x] = sum;
      if (x - k >= 0) sum -= src[o + x - k];
    }
  }
}

/** The same down the columns, row by row (sequential memory access) with a running sum per column. */
function boxColumns(src: Float32Array, dst: Float32Array, n: number, k: number, col: Float32Array): void {
  col.fill(0);
  for (let r = 0; r < k && r < n; r++) {
    const o = r * n;
    for (let x = 0; x < n; x++) col[x] += src[o + x];
  }
  for (let row = 0; row < n; row++) {
    const add = row + k < n ? (row + k) * n : -1;
    const sub = row - k >= 0 ? (row - k) * n : -1;
    const o = row * n;
    if (add >= 0) for (let x = 0; x < n; x++) col[x] += src[add + x];
    dst.set(col, o);
    if (sub >= 0) for (let x = 0; x < n; x++) col[x] -= src[sub + x];
  }
}

export class HeatmapRenderer {
  /** Bins per axis; 0 = follow the plot's size in device pixels (256 to 1024). */
  fixedGrid = 0;
  /** Blob radius as a share of the plot width (capped by the spacing of the points). */
  radius = 0.02;
  /** Force this blur radius in bins (benchmarks); -1 = automatic. */
  forceBlur = -1;

  private grid = 0;
  private acc = new Float32Array(0);
  private tmp = new Float32Array(0);
  private colBuf = new Float32Array(0);
  private owner = new Int32Array(0);
  private ownerValue = new Float64Array(0);
  private image: ImageData | undefined;
  private readonly offscreen: HTMLCanvasElement;
  private readonly offCtx: CanvasRenderingContext2D;
  private readonly ctx: CanvasRenderingContext2D;
  private blurBins = 0;
  private dpr = 1;
  private cssW = 0;
  private cssH = 0;
  view: View = FULL_VIEW;
  /** The points last computed (for hit testing). */
  points: Points | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (ctx === null) throw new Error('no 2D canvas');
    this.ctx = ctx;
    this.offscreen = document.createElement('canvas');
    const off = this.offscreen.getContext('2d', { willReadFrequently: false });
    if (off === null) throw new Error('no 2D canvas');
    this.offCtx = off;
  }

  /** Matches the canvas's backing store to its CSS size and the device pixel ratio. */
  resize(): boolean {
    const r = this.canvas.getBoundingClientRect();
    const dpr = Math.min(3, window.devicePixelRatio || 1);
    const w = Math.max(1, Math.round(r.width * dpr));
    const hh = Math.max(1, Math.round(r.height * dpr));
    const changed = w !== this.canvas.width || hh !== this.canvas.height || dpr !== this.dpr;
    if (changed) {
      this.canvas.width = w;
      this.canvas.height = hh;
    }
    this.dpr = dpr;
    this.cssW = r.width;
    this.cssH = r.height;
    return changed;
  }

  /** The plot area in CSS pixels: room on the left and bottom for labels. */
  plotRect(): Rect {
    const left = 30;
    const bottom = 30;
    const top = 8;
    const right = 10;
    return {
      x: left,
      y: top,
      w: Math.max(10, this.cssW - left - right),
      h: Math.max(10, this.cssH - top - bottom),
    };
  }

  get gridSize(): number {
    return this.grid;
  }

  get blurRadiusBins(): number {
    return this.blurBins;
  }

  private ensureGrid(): number {
    const plot = this.plotRect();
    const g =
      this.fixedGrid > 0 ? this.fixedGrid : Math.max(256, Math.min(1024, Math.round(plot.w * this.dpr)));
    if (g !== this.grid) {
      this.grid = g;
      const n = g * g;
      this.acc = new Float32Array(n);
      this.tmp = new Float32Array(n);
      this.colBuf = new Float32Array(g);
      this.owner = new Int32Array(n);
      this.ownerValue = new Float64Array(n);
      this.offscreen.width = g;
      this.offscreen.height = g;
      this.image = this.offCtx.createImageData(g, g);
    }
    return g;
  }

  /** Steps 1 to 3, and the offscreen image: call when the data (or the size) changes. */
  compute(points: Points, logMax: number): void {
    const G = this.ensureGrid();
    const { acc, tmp, owner, ownerValue } = this;
    const image = this.image as ImageData;
    this.points = points;
    acc.fill(0);
    owner.fill(-1);
    ownerValue.fill(0);
    const v = this.view;
    const sx = G / (v.x1 - v.x0);
    const sy = G / (v.y1 - v.y0);
    // z = log10(value) / logMax, from the bits of the value as a float32: its exponent and
    // mantissa read as one integer are log2 to within 0.09, plenty for 256 colour steps.
    const invLog2 = logMax > 0 ? 1 / (logMax * Math.LOG2E * Math.LN10) : 0;
    const { x, y, value } = points;
    const x0 = v.x0;
    const y1 = v.y1;
    for (let i = 0; i < points.count; i++) {
      const fx = (x[i] - x0) * sx;
      const fy = (y1 - y[i]) * sy;
      // The far edges (x = 1, y = 0) belong to the last bin.
      if (!(fx >= 0 && fy >= 0 && fx <= G && fy <= G)) continue;
      const bx = fx < G ? fx | 0 : G - 1;
      const by = fy < G ? fy | 0 : G - 1;
      const val = value[i];
      let z = 1;
      if (invLog2 > 0) {
        F32[0] = val;
        z = (U32[0] / 8388608 - 127) * invLog2;
        if (z < 0) z = 0;
        else if (z > 1) z = 1;
      }
      const b = by * G + bx;
      acc[b] += S_OF_Z[(z * Z_STEPS) | 0];
      if (val > ownerValue[b]) {
        ownerValue[b] = val;
        owner[b] = i;
      }
    }
    // Blobs no wider than the typical spacing of the points: a dense matrix stays sharp.
    const spacing = points.count > 0 ? G / Math.sqrt(points.count) : G;
    const k =
      this.forceBlur >= 0
        ? this.forceBlur
        : Math.max(0, Math.min(Math.round((this.radius * G) / 3), Math.floor(spacing / 6)));
    this.blurBins = k * 3;
    let norm = 1;
    if (k > 0) {
      // A bin's own opacity is capped, so a pile of flows in one place glows instead of flooding its blob.
      for (let i = 0; i < acc.length; i++) if (acc[i] > S_CAP) acc[i] = S_CAP;
      // Three box passes per axis: a smooth, nearly round bell.
      boxRows(acc, tmp, G, k);
      boxRows(tmp, acc, G, k);
      boxRows(acc, tmp, G, k);
      boxColumns(tmp, acc, G, k, this.colBuf);
      boxColumns(acc, tmp, G, k, this.colBuf);
      boxColumns(tmp, acc, G, k, this.colBuf);
      const peak = boxPeak(k);
      norm = 1 / (peak * peak);
    }
    const px = new Uint32Array(image.data.buffer);
    const scale = (norm * LUT_SIZE) / LUT_RANGE;
    const top = COLOURS[LUT_SIZE];
    for (let i = 0; i < px.length; i++) {
      const q = acc[i] * scale;
      px[i] = q < 1 ? 0 : q >= LUT_SIZE ? top : COLOURS[q | 0];
    }
    this.offCtx.putImageData(image, 0, 0);
  }

  /** Step 4: the picture, with the decorations, in the current view. */
  draw(decor: Decor, colours: { bg: string; grid: string; axis: string; text: string; box: string }): void {
    const ctx = this.ctx;
    const p = this.plotRect();
    const v = this.view;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    ctx.fillStyle = colours.bg;
    ctx.fillRect(p.x, p.y, p.w, p.h);
    const ux = (u: number) => p.x + ((u - v.x0) / (v.x1 - v.x0)) * p.w;
    const uy = (u: number) => p.y + ((v.y1 - u) / (v.y1 - v.y0)) * p.h;
    const inX = (u: number) => u >= v.x0 - 1e-9 && u <= v.x1 + 1e-9;
    const inY = (u: number) => u >= v.y0 - 1e-9 && u <= v.y1 + 1e-9;

    ctx.save();
    ctx.beginPath();
    ctx.rect(p.x, p.y, p.w, p.h);
    ctx.clip();
    const lines = (xs: number[], ys: number[], width: number, colour: string) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.beginPath();
      for (const g of xs) {
        if (!inX(g)) continue;
        const X = Math.round(ux(g)) + 0.5;
        ctx.moveTo(X, p.y);
        ctx.lineTo(X, p.y + p.h);
      }
      for (const g of ys) {
        if (!inY(g)) continue;
        const Y = Math.round(uy(g)) + 0.5;
        ctx.moveTo(p.x, Y);
        ctx.lineTo(p.x + p.w, Y);
      }
      ctx.stroke();
    };
    lines(decor.gridX, decor.gridY, 1, colours.grid);
    if (decor.majorX !== undefined || decor.majorY !== undefined)
      lines(decor.majorX ?? [], decor.majorY ?? [], 1.5, colours.box);

    // The points: one scaled copy of the offscreen image.
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'medium';
    ctx.drawImage(this.offscreen, p.x, p.y, p.w, p.h);

    if (decor.box !== undefined) {
      const b = decor.box;
      ctx.strokeStyle = colours.box;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.strokeRect(ux(b.x0), uy(b.y1), ux(b.x1) - ux(b.x0), uy(b.y0) - uy(b.y1));
      ctx.setLineDash([]);
    }
    if (decor.diagonal !== undefined && decor.diagonal.length > 1) {
      ctx.strokeStyle = colours.axis;
      ctx.globalAlpha = 0.45;
      ctx.lineWidth = 1;
      ctx.beginPath();
      decor.diagonal.forEach(([dx, dy], i) => {
        if (i === 0) ctx.moveTo(ux(dx), uy(dy));
        else ctx.lineTo(ux(dx), uy(dy));
      });
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    ctx.restore();

    // Axes: source along the bottom, destination up the left side.
    ctx.strokeStyle = colours.axis;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    ctx.lineTo(p.x, p.y + p.h);
    ctx.lineTo(p.x + p.w, p.y + p.h);
    ctx.stroke();

    ctx.fillStyle = colours.text;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    this.labels(
      decor.xLabels.filter((l) => inX(l.at)).map((l) => ({ pos: ux(l.at) - p.x, text: l.text })),
      decor.xTitle,
      p.w,
      (text, pos, align) => {
        ctx.textAlign = align;
        ctx.fillText(text, p.x + pos, p.y + p.h + 5);
      },
    );
    ctx.save();
    ctx.translate(p.x - 6, p.y + p.h);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'bottom';
    this.labels(
      decor.yLabels.filter((l) => inY(l.at)).map((l) => ({ pos: p.h - (uy(l.at) - p.y), text: l.text })),
      decor.yTitle,
      p.h,
      (text, pos, align) => {
        ctx.textAlign = align;
        ctx.fillText(text, pos, 0);
      },
    );
    ctx.restore();
  }

  /** Places labels along an axis of length `len`, skipping any that would overlap; the title goes in a free gap. */
  private labels(
    items: { pos: number; text: string }[],
    title: string,
    len: number,
    put: (text: string, pos: number, align: CanvasTextAlign) => void,
  ): void {
    const ctx = this.ctx;
    const taken: [number, number][] = [];
    const fits = (a: number, b: number) =>
      a >= 0 && b <= len && taken.every(([x, y]) => b + 8 < x || a > y + 8);
    for (const it of items) {
      const w = ctx.measureText(it.text).width;
      let a = it.pos - w / 2;
      let align: CanvasTextAlign = 'center';
      if (a < 0) {
        a = Math.max(0, it.pos);
        align = 'left';
      }
      if (a + w > len) {
        a = Math.min(len, it.pos) - w;
        align = 'right';
      }
      if (!fits(a, a + w)) continue;
      taken.push([a, a + w]);
      put(it.text, align === 'center' ? it.pos : align === 'left' ? a : a + w, align);
    }
    const tw = ctx.measureText(title).width;
    const mid = len / 2;
    if (fits(mid - tw / 2, mid + tw / 2)) put(title, mid, 'center');
  }

  /** CSS pixel -> unit coordinates in the current view (y up). */
  toUnit(cssX: number, cssY: number): { x: number; y: number } {
    const p = this.plotRect();
    const v = this.view;
    return {
      x: v.x0 + ((cssX - p.x) / p.w) * (v.x1 - v.x0),
      y: v.y1 - ((cssY - p.y) / p.h) * (v.y1 - v.y0),
    };
  }

  /** Unit -> CSS pixel. */
  toCss(x: number, y: number): { x: number; y: number } {
    const p = this.plotRect();
    const v = this.view;
    return { x: p.x + ((x - v.x0) / (v.x1 - v.x0)) * p.w, y: p.y + ((v.y1 - y) / (v.y1 - v.y0)) * p.h };
  }

  /** The point nearest a CSS position (within a few pixels or its blob), or -1. */
  hit(cssX: number, cssY: number): number {
    const G = this.grid;
    if (G === 0 || this.points === undefined) return -1;
    const p = this.plotRect();
    const fx = ((cssX - p.x) / p.w) * G;
    const fy = ((cssY - p.y) / p.h) * G;
    const reach = Math.max(2, Math.ceil(this.blurBins / 2), Math.ceil((6 * G) / p.w));
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    const cx = Math.floor(fx);
    const cy = Math.floor(fy);
    for (let by = Math.max(0, cy - reach); by <= Math.min(G - 1, cy + reach); by++) {
      for (let bx = Math.max(0, cx - reach); bx <= Math.min(G - 1, cx + reach); bx++) {
        const i = this.owner[by * G + bx];
        if (i < 0) continue;
        const d = (bx + 0.5 - fx) ** 2 + (by + 0.5 - fy) ** 2;
        if (d < bestD) {
          bestD = d;
          best = i;
        }
      }
    }
    return bestD <= reach * reach * 2 ? best : -1;
  }
}

/** The colour scale as a strip of `width` pixels (for the legend). */
export function scaleStrip(ctx: CanvasRenderingContext2D, width: number, height: number): void {
  const img = ctx.createImageData(width, height);
  const px = new Uint32Array(img.data.buffer);
  for (let x = 0; x < width; x++) {
    // The legend runs over a single point's opacity range: z = 0 .. 1.
    const a = 0.1 + 0.85 * (x / Math.max(1, width - 1));
    const c = colourOf(a) | 0xff000000;
    for (let y = 0; y < height; y++) px[y * width + x] = c >>> 0;
  }
  ctx.putImageData(img, 0, 0);
}
