/**
 * `flowlens replay FILE... --to HOST:PORT [--rate N | --speed X] [--loop]`:
 * sends the telemetry datagrams of captures (pcap, pcapng, raw payload files)
 * at their recorded spacing, scaled by --speed, or at a fixed --rate.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readCapture } from '../ingest/capture.js';
import { parseTarget, sendPaced } from '../ingest/sender.js';

export async function runReplay(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      rate: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean', default: false },
      seconds: { type: 'string', default: '0' },
    },
  });
  if (values.to === undefined || positionals.length === 0) {
    process.stderr.write(
      'usage: flowlens replay FILE... --to HOST:PORT [--rate N | --speed X] [--loop] [--seconds N]\n',
    );
    return 2;
  }
  const target = parseTarget(values.to);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0))
    throw new Error('--rate must be a positive number of datagrams per second');
  if (!Number.isFinite(speed) || speed <= 0) throw new Error('--speed must be a positive factor');
  const datagrams: { payload: Buffer; timeMs: number }[] = [];
  for (const file of positionals) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      process.stderr.write(
        `flowlens replay: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}\n`,
      );
      return 2;
    }
    for (const item of readCapture(data, file))
      if (item.kind === 'datagram') datagrams.push({ payload: item.payload, timeMs: item.timestamp });
  }
  if (datagrams.length === 0) {
    process.stderr.write('flowlens replay: no UDP datagrams in the given files\n');
    return 2;
  }
  let i = 0;
  let offset = 0;
  const span = datagrams[datagrams.length - 1].timeMs - datagrams[0].timeMs + 1;
  const source = {
    next: () => {
      if (i >= datagrams.length) {
        if (!values.loop) return undefined;
        i = 0;
        offset += span;
      }
      const d = datagrams[i++];
      return { payload: d.payload, timeMs: d.timeMs + offset };
    },
  };
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const stats = await sendPaced(target, source, {
    ...(rate !== undefined ? { rate } : { speed }),
    seconds: Number(values.seconds),
    signal: controller.signal,
  });
  process.stderr.write(
    `flowlens replay: sent ${stats.sent} datagrams (${stats.bytes} bytes) to ${target.host}:${target.port} in ${stats.seconds.toFixed(2)} s` +
      `${stats.errors > 0 ? `, ${stats.errors} send errors` : ''}\n`,
  );
  return 0;
}
