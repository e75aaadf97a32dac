/**
 * Keeps a template store on disk as `<stateDir>/templates.json`, so that a
 * restarted collector decodes data at once instead of waiting for the next
 * template refresh (up to 10 minutes with common exporters).
 *
 * Writes are debounced (a burst of template changes is one write) and atomic:
 * the JSON goes to a temporary file in the same directory, which is then
 * renamed over the old one, so a crash leaves either the old or the new file.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TemplateStore } from './store.js';

export interface TemplatePersistenceOptions {
  /** Directory for templates.json (created when missing). */
  stateDir: string;
  /** Delay between a change and the write (ms). Default 2000. */
  debounceMs?: number;
  /** Called with errors of background writes (default: ignored, see `lastError`). */
  onError?: (err: Error) => void;
}

export const TEMPLATES_FILE = 'templates.json';

export class TemplatePersistence {
  readonly store: TemplateStore;
  readonly file: string;
  readonly debounceMs: number;
  /** Completed writes. */
  writes = 0;
  lastError: Error | undefined;
  private readonly onError: ((err: Error) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private started = false;
  private tmpSeq = 0;

  constructor(store: TemplateStore, options: TemplatePersistenceOptions) {
    this.store = store;
    this.file = path.join(options.stateDir, TEMPLATES_FILE);
    this.debounceMs = Math.max(0, options.debounceMs ?? 2000);
    this.onError = options.onError;
  }

  /** Loads the store, then watches it; returns the number of templates loaded. */
  static async open(store: TemplateStore, options: TemplatePersistenceOptions): Promise<TemplatePersistence> {
    const p = new TemplatePersistence(store, options);
    await p.load();
    p.start();
    return p;
  }

  /**
   * Adds the templates saved in the file to the store. A missing file loads
   * nothing; an unreadable or corrupt one is reported in `lastError` and
   * loads nothing (the collector then learns templates from the exporters).
   */
  async load(): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err);
      return 0;
    }
    try {
      return this.store.load(JSON.parse(text));
    } catch (err) {
      this.report(err);
      return 0;
    }
  }

  /** Starts writing the store after each change (debounced). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.store.onChange = () => this.schedule();
  }

  /** Asks for a write after the debounce delay. */
  schedule(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err) => this.report(err));
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes the store now (waits for a write in progress first). */
  async flush(): Promise<void> {
    if (this.writing !== undefined) await this.writing.catch(() => undefined);
    this.dirty = false;
    this.writing = this.write();
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
  }

  /** Stops watching; writes pending changes. */
  async close(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.started) {
      this.store.onChange = undefined;
      this.started = false;
    }
    if (this.dirty) await this.flush();
    else if (this.writing !== undefined) await this.writing.catch(() => undefined);
  }

  private async write(): Promise<void> {
    const dir = path.dirname(this.file);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.${++this.tmpSeq}.tmp`;
    const text = JSON.stringify(this.store.toJSON());
    try {
      await writeFile(tmp, text, 'utf8');
      await rename(tmp, this.file);
      this.writes++;
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.lastError = e;
    this.onError?.(e);
  }
}
