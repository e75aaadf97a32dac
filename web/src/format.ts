/** Number and time formatting for tiles, tables, chart axes and tooltips. */

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** 1234567 -> "1.23 M" (SI, 3 significant digits). */
export function si(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs === 0) return `0${unit ? ` ${unit}` : ''}`;
  if (abs < 1) {
    const digits = abs >= 0.01 ? 3 : 2;
    return `${Number(value.toPrecision(digits))}${unit ? ` ${unit}` : ''}`;
  }
  const k = Math.min(PREFIXES.length - 1, Math.floor(Math.log10(abs) / 3));
  const scaled = value / 1000 ** k;
  const text =
    Math.abs(scaled) >= 100
      ? scaled.toFixed(0)
      : Math.abs(scaled) >= 10
        ? scaled.toFixed(1)
        : scaled.toFixed(2);
  const u = `${PREFIXES[k]}${unit}`;
  return u === '' ? text : `${text} ${u}`;
}

export const bps = (v: number | null | undefined) => si(v, 'bit/s');
export const pps = (v: number | null | undefined) => si(v, 'pkt/s');
export const perSecond = (v: number | null | undefined) => si(v, '/s');

/** Whole counts with thousands separators. */
export function count(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Math.round(v).toLocaleString('en-US');
}

export function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x >= 100 || i === 0 ? x.toFixed(0) : x.toFixed(1)} ${units[i]}`;
}

/** Milliseconds -> "3 s", "4 min", "2 h 5 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  const hrs = Math.floor(s / 3600);
  if (hrs < 48) return `${hrs} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(hrs / 24)} d`;
}

export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
