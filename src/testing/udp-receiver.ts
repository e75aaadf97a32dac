/**
 * A minimal UDP collector for network-namespace tests: binds [::]:PORT (dual
 * stack) for each port given, and reports on stdout, one JSON object per line:
 *
 *   {"event":"listening","ports":[4739,4740]}
 *   {"event":"datagram","port":4739,"from":"fd00::1","length":100,"sha256":"…","protocol":"ipfix","records":1,"errors":[]}
 *   {"event":"summary","received":20,"byProtocol":{"ipfix":20}}   (on SIGTERM, SIGINT or stdin end)
 *
 * Run it inside a namespace with `ip netns exec NS node udp-receiver.js 4739 4740`.
 */
import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { FlowExportDecoder } from '../decode/netflow/index.js';
import { detectProtocol } from '../ingest/detect.js';

export interface ReceivedDatagram {
  event: 'datagram';
  port: number;
  from: string;
  length: number;
  sha256: string;
  protocol: string;
  /** IPFIX / NetFlow data records decoded from the datagram by flowlens's decoder. */
  records: number;
  /** Reasons of any decode errors. */
  errors: string[];
}

function main(argv: string[]): void {
  const ports = argv.map(Number);
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    process.stderr.write('usage: udp-receiver PORT...\n');
    process.exit(2);
  }
  let received = 0;
  const byProtocol: Record<string, number> = {};
  const sockets: dgram.Socket[] = [];
  const decoder = new FlowExportDecoder();
  let bound = 0;
  const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

  for (const port of ports) {
    const s = dgram.createSocket({ type: 'udp6', ipv6Only: false });
    s.on('error', (err) => {
      process.stderr.write(`udp-receiver: port ${port}: ${err.message}\n`);
      process.exit(1);
    });
    s.on('message', (msg, rinfo) => {
      received++;
      const protocol = detectProtocol(msg);
      byProtocol[protocol] = (byProtocol[protocol] ?? 0) + 1;
      const decoded =
        protocol === 'ipfix' || protocol === 'netflow9' || protocol === 'netflow5'
          ? decoder.decode(msg, { address: rinfo.address, port: rinfo.port })
          : undefined;
      const d: ReceivedDatagram = {
        event: 'datagram',
        port,
        from: rinfo.address,
        length: msg.length,
        sha256: createHash('sha256').update(msg).digest('hex'),
        protocol,
        records: decoded?.records.length ?? 0,
        errors: decoded?.errors.map((e) => e.reason) ?? [],
      };
      out(d);
    });
    s.bind({ port, address: '::' }, () => {
      // A large buffer so bursts from the test sender are not dropped (capped by net.core.rmem_max).
      s.setRecvBufferSize(4 * 1024 * 1024);
      bound++;
      if (bound === ports.length) out({ event: 'listening', ports });
    });
    sockets.push(s);
  }

  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    out({ event: 'summary', received, byProtocol });
    for (const s of sockets) s.close();
    process.stdout.end(() => process.exit(0));
  };
  process.on('SIGTERM', finish);
  process.on('SIGINT', finish);
  process.stdin.on('end', finish);
  process.stdin.resume();
}

main(process.argv.slice(2));
