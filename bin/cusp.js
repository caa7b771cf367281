#!/usr/bin/env node
// The `cusp` command. It runs the compiled main process code; build it first with `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('cusp: not built yet — run `npm run build` in the Cusp folder first');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
