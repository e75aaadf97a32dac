/** The ai-metrics app: AI/ML RoCEv2 fabric metrics with sFlow-RT's names and REST paths. */
export {
  AiMetricsApp,
  type AiMetricsDeps,
  type AiPoints,
  FAMILY_POINTS,
  NUMERIC_POINTS,
} from './app.js';
export { Baseline, type BaselineState, type BaselineStatistics } from './baseline.js';
export { AI_FLOW_NAMES, aiFlows } from './flows.js';
export { FAST_FLOW, PeriodDetector, type PeriodStatus } from './period.js';
export { aiMetricsRoutes, prometheusText } from './routes.js';
export { AI_DEFAULTS, type AiSettings, AiSettingsError, resolveSettings } from './settings.js';
export { Trend, type TrendDocument } from './trend.js';
