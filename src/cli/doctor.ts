/**
 * `flowlens doctor [--ports 6343,4739,2055] [--seconds N] [--rcvbuf BYTES]
 * [--watch-dev IFACE] [--json]`: measures the kernel's UDP error counters,
 * buffer sysctls and listeners, and prints a diagnosis with fixes
 * (docs/doctor.md).
 *
 * Exit codes: 0 nothing wrong found; 1 problems found; 2 usage error or
 * cannot run (e.g. --watch-dev without root).
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_DOCTOR_PORTS,
  DEFAULT_RCVBUF,
  exitCodeFor,
  formatReport,
  runDoctorCheck,
} from '../doctor/doctor.js';
import { parsePorts } from '../ebpf/csum-fix.js';
import { EbpfError } from '../ebpf/tools.js';

export async function runDoctor(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        ports: { type: 'string' },
        seconds: { type: 'string', default: '5' },
        rcvbuf: { type: 'string' },
        'watch-dev': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const ports = values.ports === undefined ? [...DEFAULT_DOCTOR_PORTS] : parsePorts(values.ports);
    const seconds = Number(values.seconds);
    if (!/^\d+(\.\d+)?$/.test(values.seconds ?? '') || seconds > 3600) {
      throw new EbpfError(`--seconds: '${values.seconds}' is not a number of seconds (0-3600)`, 2);
    }
    const rcvbuf = values.rcvbuf === undefined ? DEFAULT_RCVBUF : Number(values.rcvbuf);
    if (!Number.isInteger(rcvbuf) || rcvbuf <= 0)
      throw new EbpfError(`--rcvbuf: '${values.rcvbuf}' is not a size in bytes`, 2);
    const watchDev = values['watch-dev'];
    const report = await runDoctorCheck({
      ports,
      seconds,
      rcvbuf,
      watchDev,
      onMeasuring: () => {
        if (seconds > 0) {
          process.stderr.write(
            `flowlens doctor: measuring for ${seconds} s${watchDev !== undefined ? ` (watching ${watchDev})` : ''}...\n`,
          );
        }
      },
    });
    process.stdout.write(values.json === true ? `${JSON.stringify(report)}\n` : formatReport(report));
    return exitCodeFor(report.findings);
  } catch (err) {
    if (err instanceof EbpfError) {
      process.stderr.write(`flowlens doctor: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(
        `flowlens doctor: ${err.message}\n\nUsage: flowlens doctor [--ports 6343,4739,2055] [--seconds N] [--rcvbuf BYTES] [--watch-dev IFACE] [--json]\n`,
      );
      return 2;
    }
    throw err;
  }
}
