/**
 * Bare receivers for the ingest benchmark: they only count datagrams, to
 * show what receiving alone costs.
 *
 *   node dist/bench/ingest-sink.js dgram|addon|listen PORT RCVBUF
 *
 *   dgram   Node's dgram socket, one 'message' event per datagram
 *   addon   the recvmmsg addon, one callback per batch (count only)
 *   listen  listenUdp's recvmmsg path, one handler call per datagram with a
 *           payload view and the source address (what the collector gets)
 *
 * Prints {"port": N} when bound, then answers every line on stdin with
 * {"datagrams": N}.
 */
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { loadRecvmmsg } from '../src/ingest/recvmmsg.js';
import { listenUdp } from '../src/ingest/udp.js';

async function main(): Promise<void> {
  const [mode, portText, bufText] = process.argv.slice(2);
  const port = Number(portText ?? 0);
  const receiveBuffer = Number(bufText ?? 32 << 20);
  let datagrams = 0;
  let bound = 0;
  if (mode === 'dgram') {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: receiveBuffer });
    s.on('message', () => {
      datagrams++;
    });
    await new Promise<void>((resolve) => s.bind(port, '127.0.0.1', () => resolve()));
    bound = s.address().port;
  } else if (mode === 'addon') {
    const addon = loadRecvmmsg();
    if (addon.addon === undefined) throw new Error(addon.reason);
    const s = addon.addon.open(
      { host: '127.0.0.1', port, receiveBuffer, batch: 128 },
      (n) => {
        datagrams += n;
      },
      () => {},
    );
    bound = s.port;
  } else if (mode === 'listen') {
    let sink = 0;
    const l = await listenUdp({ host: '127.0.0.1', port, receiveBuffer, mode: 'recvmmsg' }, (p, address) => {
      datagrams++;
      sink += p.length + address.length;
    });
    bound = l.port;
    if (sink < 0) process.stdout.write('');
  } else {
    throw new Error(`unknown mode '${mode}' (dgram, addon or listen)`);
  }
  process.stdout.write(`${JSON.stringify({ port: bound })}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', () => process.stdout.write(`${JSON.stringify({ datagrams })}\n`));
  rl.on('close', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`ingest-sink: ${(err as Error).message}\n`);
  process.exit(1);
});
