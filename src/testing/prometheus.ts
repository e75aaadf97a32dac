/**
 * Debian's Prometheus server (package prometheus) for tests: started on a
 * free loopback port with a throw-away TSDB, never on the package's default
 * port 9090 (a system daemon may hold it), queried through its HTTP API, and
 * killed by stop() or, should the test process die first, when it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

/** A port nobody listens on now: bound and released at once (the server retries if it is taken meanwhile). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The envelope of every /api/v1 answer. */
export interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface QueryData {
  resultType: string;
  result: InstantSample[];
}

export interface ScrapeTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PrometheusServer {
  private stderr = '';
  private spawnError: Error | undefined;
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    // Keep the tail of the log: it explains a failed start or a target that is down.
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-16_384);
    });
    // A missing or unrunnable binary: no 'exit' event will follow.
    child.once('error', (err) => {
      this.spawnError = err;
    });
    process.once('exit', this.killOnExit);
  }

  /** Starts the server and waits until it reports ready (GET /-/ready). */
  static async start(options: {
    configFile: string;
    dataDir: string;
    bin?: string;
    timeoutMs?: number;
  }): Promise<PrometheusServer> {
    let lastProblem = '';
    // The free port may be taken between freePort() and the server's bind: try another.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawn(
        options.bin ?? PROMETHEUS,
        [
          `--config.file=${options.configFile}`,
          `--storage.tsdb.path=${options.dataDir}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const server = new PrometheusServer(child, `http://127.0.0.1:${port}`);
      const deadline = Date.now() + (options.timeoutMs ?? 20_000);
      while (Date.now() < deadline && server.running) {
        try {
          const r = await fetch(`${server.url}/-/ready`);
          if (r.status === 200) return server;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      lastProblem = server.running
        ? 'not ready in time'
        : (server.spawnError?.message ?? `exited with code ${child.exitCode} (signal ${child.signalCode})`);
      lastProblem += `\n${server.log()}`;
      await server.stop();
      if (!/address already in use/.test(lastProblem)) break;
    }
    throw new Error(`prometheus did not start: ${lastProblem}`);
  }

  get running(): boolean {
    return this.spawnError === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the server logged. */
  log(): string {
    return this.stderr;
  }

  /** An instant query; the HTTP status is kept so a 400 (a PromQL syntax error) can be reported. */
  async query(expr: string): Promise<{ status: number; body: ApiResponse<QueryData> }> {
    const r = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }).toString(),
    });
    return { status: r.status, body: (await r.json()) as ApiResponse<QueryData> };
  }

  /** The samples of a query that must succeed. */
  async samples(expr: string): Promise<InstantSample[]> {
    const { status, body } = await this.query(expr);
    if (status !== 200 || body.status !== 'success')
      throw new Error(`query ${expr}: HTTP ${status} ${body.errorType ?? ''} ${body.error ?? ''}`);
    return body.data.result;
  }

  async targets(): Promise<ScrapeTarget[]> {
    const r = await fetch(`${this.url}/api/v1/targets?state=active`);
    const body = (await r.json()) as ApiResponse<{ activeTargets: ScrapeTarget[] }>;
    return body.data.activeTargets;
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.killOnExit);
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      if (!this.running) resolve();
    });
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
