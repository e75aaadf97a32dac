#!/usr/bin/env node
/**
 * The `flowlens` command. Each subcommand lives in its own module and is
 * loaded only when called, so `flowlens decode` does not pay for the server.
 */
import { readFileSync } from 'node:fs';

interface Command {
  summary: string;
  usage: string;
  /** Longer help than the usage line, loaded on demand. */
  help?: () => Promise<string>;
  run: (args: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'run the collector: sFlow, IPFIX and NetFlow over UDP, the real-time engine and its REST API',
    usage: 'flowlens run [--config FILE] [--<setting> VALUE]...',
    help: async () => (await import('./run.js')).runHelp(),
    run: async (args) => (await import('./run.js')).runRun(args),
  },
  decode: {
    summary: 'decode sFlow/IPFIX/NetFlow datagrams from pcap, pcapng or raw payload files to JSON Lines',
    usage: 'flowlens decode FILE... [--raw] [--no-summary]',
    run: async (args) => (await import('./decode.js')).runDecode(args),
  },
  ebpf: {
    summary: 'eBPF helpers: repair bad IPv6 UDP checksums of broken exporters on an interface (root)',
    usage:
      'flowlens ebpf csum-fix attach --dev IFACE [--ports 4739,6343,2055] | detach --dev IFACE | status [--dev IFACE]',
    run: async (args) => (await import('./ebpf.js')).runEbpf(args),
  },
  doctor: {
    summary: 'diagnose why datagrams reach the host but not the collector (UDP errors, buffers, listeners)',
    usage:
      'flowlens doctor [--ports 6343,4739,2055] [--seconds N] [--rcvbuf BYTES] [--watch-dev IFACE] [--json]',
    run: async (args) => (await import('./doctor.js')).runDoctor(args),
  },
  replay: {
    summary:
      'send the datagrams of captures to a collector at their recorded pace, a speed factor, or a fixed rate',
    usage: 'flowlens replay FILE... --to HOST:PORT [--rate N | --speed X] [--loop] [--seconds N]',
    run: async (args) => (await import('./replay.js')).runReplay(args),
  },
  simulate: {
    summary: 'send a generated sFlow stream with known ground truth to a collector',
    usage:
      'flowlens simulate basic --to HOST:PORT [--rate N] [--seconds N] [--seed N] [--agents N] [--sampling-rate N]',
    run: async (args) => (await import('./simulate.js')).runSimulate(args),
  },
  demo: {
    summary: 'run flowlens on built-in simulated traffic: REST API on port 8008, top flows printed live',
    usage: 'flowlens demo [--seconds N] [--port HTTP_PORT]',
    run: async (args) => (await import('./demo.js')).runDemo(args),
  },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function help(): string {
  const lines = [
    'flowlens: real-time network telemetry analytics',
    '',
    'Usage: flowlens <command> [options]',
    '',
  ];
  lines.push('Commands:');
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `flowlens <command> --help` for the options of one command.');
  lines.push('Options:', '  --help      show this help', '  --version   print the version');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`flowlens: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const more = command.help === undefined ? '' : `\n${await command.help()}`;
    process.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n${more}`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`flowlens: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
