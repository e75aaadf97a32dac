// Public API of the IPFIX / NetFlow v9 / NetFlow v5 decoder (docs/netflow.md).
export { type ExportTransport, FlowExportDecoder, type FlowExportDecoderOptions } from './decoder.js';
export * from './encode.js';
export { type IeDataType, type IeInfo, ianaIe, ianaIes, lookupIe, PEN_REVERSE } from './ies.js';
export { DomainLookups, type InterfaceInfo, LookupTables, type SamplerInfo } from './lookups.js';
export { type PendingCounters, PendingData, type PendingOptions } from './pending.js';
export { TEMPLATES_FILE, TemplatePersistence, type TemplatePersistenceOptions } from './persistence.js';
export { type SequenceStream, type SequenceTotals, SequenceTracker } from './sequence.js';
export { ExportStats } from './stats.js';
export {
  exporterKey,
  type StoredTemplate,
  TemplateStore,
  type TemplateStoreCounters,
  type TemplateStoreJson,
  type TemplateStoreOptions,
} from './store.js';
export { type FieldSpec, Template, type TemplateProtocol } from './template.js';
export type * from './types.js';
