/**
 * Benchmark results go into docs/benchmarks.md between markers, so the
 * document always shows the last measured figures with their date and command.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/testing/captures.js';

export function report(section: string, lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!process.argv.includes('--write')) return;
  const file = path.join(repoRoot(), 'docs', 'benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const begin = `<!-- ${section}:begin -->`;
  const end = `<!-- ${section}:end -->`;
  const block = `${begin}\nMeasured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- --write\`.\n\n${lines.join('\n')}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  writeFileSync(
    file,
    i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text}\n${block}\n`,
  );
  process.stdout.write(`wrote ${section} to ${file}\n`);
}
