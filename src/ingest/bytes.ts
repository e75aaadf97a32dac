/**
 * Bounds-unchecked byte helpers for hot paths. Callers MUST check bounds first; every read here
 * is plain index math on a Uint8Array (an out-of-range index yields `undefined` -> NaN/0, never a
 * throw, but callers are expected never to rely on that).
 */

export function u16be(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

export function u16le(d: Uint8Array, o: number): number {
  return d[o]! | (d[o + 1]! << 8);
}

export function u32be(d: Uint8Array, o: number): number {
  return d[o]! * 0x1000000 + ((d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!);
}

export function u32le(d: Uint8Array, o: number): number {
  return d[o + 3]! * 0x1000000 + ((d[o + 2]! << 16) | (d[o + 1]! << 8) | d[o]!);
}

export function u16(d: Uint8Array, o: number, le: boolean): number {
  return le ? u16le(d, o) : u16be(d, o);
}

export function u32(d: Uint8Array, o: number, le: boolean): number {
  return le ? u32le(d, o) : u32be(d, o);
}

/** Parse an IPv4 or IPv6 address text (IPv6 may use `::` and a trailing dotted quad). */
export function parseIpAddress(text: string): { version: 4 | 6; bytes: Uint8Array } | null {
  if (text.includes(':')) {
    const bytes = parseIPv6(text);
    return bytes ? { version: 6, bytes } : null;
  }
  const bytes = parseIPv4(text);
  return bytes ? { version: 4, bytes } : null;
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseIPv6(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const items = s.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseIPv4(it);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
        out.push(Number.parseInt(it, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const tail = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !tail) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}
