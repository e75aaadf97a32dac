/**
 * Counter samples become metrics with sFlow-RT's names, kept per (agent,
 * data source) and queried with sFlow-RT's semantics. See docs/metrics.md.
 */
export {
  AGGREGATIONS,
  type Aggregation,
  aggregate,
  type Quartiles,
  quantile,
  quartiles,
} from './aggregate.js';
export {
  type MetricKind,
  type MetricValue,
  type Origin,
  RECORD_MAPPINGS,
  type RecordMapping,
} from './catalog.js';
export {
  CounterDeriver,
  type CounterSampleInput,
  counterDelta,
  type DerivedMetrics,
  type DeriverOptions,
  type DeriverStats,
  dataSourceName,
} from './derive.js';
export { ingestDatagram } from './ingest.js';
export { escapeLabelValue, type PrometheusOptions, prometheusName, prometheusText } from './prometheus.js';
export {
  type AgentSelector,
  type FilterInput,
  type MetricCell,
  type MetricFilter,
  MetricQuery,
  MetricQueryError,
  parseFilter,
  parseSpec,
  type Statistic,
  splitList,
  type Topology,
} from './query.js';
export {
  type MetricEntry,
  MetricStore,
  type MetricStoreOptions,
  type MetricStoreStats,
  SourceMetrics,
  type TopKey,
} from './store.js';
