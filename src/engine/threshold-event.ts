/**
 * A threshold event as /events/json and /events/sse deliver it: the contract
 * between the engine and the console's events page, which imports this type.
 * No imports, so the browser build can type-check against it.
 */
export interface ThresholdEvent {
  eventID: number;
  thresholdID: string;
  metric: string;
  agent: string;
  dataSource: string;
  flowKey?: string;
  value: number;
  threshold: number;
  timestamp: number;
  values?: (number | null)[];
}
