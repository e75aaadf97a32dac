export {
  type CaptureFileResult,
  collectCapture,
  type DetectedFileFormat,
  detectCaptureFormat,
  readCapture,
  readCaptureFile,
} from './capture.js';
export { detectProtocol, type TelemetryProtocol } from './detect.js';
export { PacketDecoder, SUPPORTED_LINKTYPES } from './packet.js';
export * from './pcap-writer.js';
export type * from './types.js';
