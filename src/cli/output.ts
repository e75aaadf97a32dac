/**
 * Buffered line output that respects back-pressure and treats a closed pipe
 * (`flowlens decode x.pcap | head`) as a normal end rather than a crash.
 */
import type { Writable } from 'node:stream';

export class OutputStream {
  private chunks: string[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly stream: Writable) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else throw err;
    });
  }

  async write(text: string): Promise<void> {
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.chunks.length === 0 || this.closed) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    if (!this.stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('close', done);
      });
    }
  }

  async end(): Promise<void> {
    await this.flush();
  }
}
