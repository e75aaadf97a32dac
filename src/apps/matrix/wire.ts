/**
 * The traffic matrix as /app/matrix/json returns it: the contract between the
 * service (matrix.ts) and the console's heatmap page, which imports these
 * types. No runtime code and no imports beyond scale.ts, so the browser build
 * can type-check against it.
 */
import type { AddressFamily } from './scale.js';

export type MatrixMode = 'range' | 'topology';
export type HostFamily = AddressFamily | 'mac';
export type MatrixValue = 'bytes' | 'frames';

export interface MatrixCell {
  /** Source position, 0 (left) to 1 (right). */
  x: number;
  /** Destination position, 0 (bottom) to 1 (top). */
  y: number;
  /** Bytes or frames per second. */
  value: number;
  src: string;
  dst: string;
  /** Topology mode: "node:ifIndex" of the source and destination. */
  srcAt?: string;
  dstAt?: string;
}

export interface AxisText {
  start: string;
  end: string;
  inset: number;
}

export interface MatrixResponse {
  mode: MatrixMode;
  family: HostFamily;
  layer: string;
  value: MatrixValue;
  /** The engine flow behind the matrix (its keys, e.g. to drill into it). */
  flow: string;
  keys: string;
  /** Range mode: the source (x) and destination (y) axes. */
  x?: AxisText;
  y?: AxisText;
  /** Topology mode: the nodes along both axes, with their share [start, end). */
  nodes?: { name: string; start: number; end: number; ports: string[] }[];
  cells: MatrixCell[];
  /** The largest value: the top of the log colour scale. */
  max: number;
  /** log10(max), so intensity = log10(value) / logMax. */
  logMax: number;
  /** Flows read from the engine, flows with no place on the axes, and (topology) flows with an unlocated end. */
  flows: number;
  outside: number;
  unlocated: number;
  /** Topology mode: hosts with a known location. */
  located?: number;
  time: number;
}
