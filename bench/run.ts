// `npm run bench [-- SUITE…] [--scale S]`: every benchmark, each printing its measurements next to
// a baseline measured in the same run (targets are read here, never asserted in tests).
// Suites: db (search, chart, day schedule at 100k patients / 1M images / 2M appointments),
// imaging (compression and pipeline vs decode + one JPEG encode), storage (Cusp vs raw SDK),
// ingest (C-STORE to indexed latency and burst throughput vs the pipeline alone), viewer (time to
// thumbnail, preview, view and master over the loopback server, from the S3 store and the cache).

const suites: Record<string, () => Promise<{ run: () => Promise<void> }>> = {
  imaging: () => import('./imaging.js'),
  storage: () => import('./storage.js'),
  ingest: () => import('./ingest.js'),
  db: () => import('./db.js'),
  viewer: () => import('./viewer.js'),
};

const requested = process.argv.slice(2).filter((arg, i, all) => !arg.startsWith('--') && all[i - 1] !== '--scale');
const unknown = requested.filter((name) => !(name in suites));
if (unknown.length) {
  console.error(`Unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}

for (const name of requested.length ? requested : Object.keys(suites)) {
  console.log(`\n=== ${name} ===`);
  const started = performance.now();
  const suite = await suites[name]!();
  await suite.run();
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

export {};
