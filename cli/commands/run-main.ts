/** Standalone entry for `floorwatch run` (tests, and hosts without the full CLI): run-main.ts [run options] -- CMD ARGS */
import { runMain } from './run.js';

await runMain(process.argv.slice(2));
