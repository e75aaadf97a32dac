/** One UDP datagram found in a capture file (or a whole raw payload file). */
export interface CapturedDatagram {
  kind: 'datagram';
  /** 1-based frame/packet index in the file (raw payload files: 1). For a datagram reassembled
   *  from IP fragments: the frame that completed it. */
  frame: number;
  /** Milliseconds since the epoch, float (sub-microsecond precision may be lost); 0 for raw files
   *  and for pcapng Simple Packet Blocks (which carry no timestamp). */
  timestamp: number;
  /** '' for raw files. IPv4 dotted quad or RFC 5952 IPv6 text. */
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  /** UDP payload. A subarray of the file buffer except for reassembled datagrams. */
  payload: Buffer;
  /** Set when fewer payload bytes were captured than the UDP length says (snaplen cut, file cut
   *  short). `payload` then holds the bytes that were captured. */
  truncated?: true;
  /** Set (>= 2) when the datagram was reassembled from this many IP fragments. */
  fragments?: number;
  /** pcapng only: the interface ID (index of the Interface Description Block in its section). */
  interfaceId?: number;
}

/** A frame, block or region of the file that did not yield a datagram. */
export interface CaptureSkip {
  kind: 'skip';
  /** 1-based frame index, or 0 when the problem is not tied to a frame (file header, bad block). */
  frame: number;
  /** Short stable code; this reader only produces the {@link SkipReason} values. */
  reason: string;
  /** Absolute byte offset in the file where the problem was found (the start of the record, block
   *  or header that was rejected). For gzip-compressed captures: offset in the decompressed data. */
  offset: number;
  /** Human-readable detail (e.g. 'ethertype 0x0806', 'ip protocol 6'). */
  detail?: string;
}

export type CaptureItem = CapturedDatagram | CaptureSkip;

export type SkipReason =
  // file level
  | 'empty-file'
  | 'unrecognized-capture-magic'
  | 'bad-gzip'
  | 'truncated-file-header'
  | 'truncated-record'
  | 'bad-section-header'
  | 'unsupported-pcapng-version'
  | 'bad-block-length'
  | 'block-length-mismatch'
  | 'truncated-block'
  | 'bad-block'
  | 'unknown-interface'
  | 'bad-captured-length'
  // link layer
  | 'unsupported-linktype'
  | 'not-ip'
  // IP / UDP
  | 'truncated'
  | 'bad-ip-header'
  | 'not-udp'
  | 'bad-udp-length'
  // fragments
  | 'bad-fragment'
  | 'duplicate-fragment'
  | 'fragment-overlap'
  | 'truncated-fragment'
  | 'reassembly-evicted'
  | 'reassembly-timeout'
  | 'incomplete-fragments';

export type CaptureFormat = 'pcap' | 'pcapng' | 'raw';

/** Returned (as the generator's return value) by {@link readCapture}. */
export interface CaptureSummary {
  format: CaptureFormat;
  /** True when the capture was gzip-compressed. */
  gzip: boolean;
  /** Packet records (pcap) or packet blocks (EPB, SPB, PB) seen; 1 for a raw payload file. */
  frames: number;
  datagrams: number;
  skips: number;
  /** Distinct link types seen (pcap header / pcapng IDBs), in order of appearance. */
  linktypes: number[];
}

export interface ReadCaptureOptions {
  /** Most IP datagrams being reassembled at once; the oldest is dropped beyond. Default 1024. */
  maxReassemblies?: number;
  /** Most fragment bytes held at once across reassemblies. Default 16 MiB. */
  maxReassemblyBytes?: number;
  /** Drop a reassembly idle for longer than this (capture time, ms). Default 30000; 0 disables. */
  reassemblyTimeoutMs?: number;
  /** Most fragments accepted for one datagram. Default 256. */
  maxFragmentsPerDatagram?: number;
}
