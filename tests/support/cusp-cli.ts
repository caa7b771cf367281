// The `cusp` command from the TypeScript sources, for tests that run it as a child process:
// `node --import tsx tests/support/cusp-cli.ts agent …` (no build needed).
import { main } from '../../main/cli/index.js';

process.exitCode = await main(process.argv);
