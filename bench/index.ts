/** `npm run bench`: every decode benchmark in turn (`-- --write` records them in docs/benchmarks.md). */
await import('./decode.bench.js');
await import('./netflow.bench.js');
