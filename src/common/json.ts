/**
 * JSON text for values that hold bigints (u64 counters above 2^53) and byte
 * arrays. Bigints are written as exact integer literals, which JSON allows and
 * which `JSON.stringify` refuses; bytes are written as lowercase hex.
 */
import { toHex } from './addr.js';

const MARK = '\u0000bigint:';
const MARKED = /"\\u0000bigint:(\d+)"/g;

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return MARK + value.toString();
  if (value instanceof Uint8Array) return toHex(value);
  // Buffer.toJSON runs before the replacer sees the value; turn it back into hex.
  if (
    value !== null &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return toHex(Uint8Array.from((value as { data: number[] }).data));
  }
  return value;
}

export function toJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, replacer, indent);
  return text.includes('\\u0000bigint:') ? text.replace(MARKED, '$1') : text;
}
