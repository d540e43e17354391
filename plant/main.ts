/**
 * Standalone entry for plant processes: `node --import tsx plant/main.ts <component> [options]`
 * (tests and the launcher use it; `floorwatch plant ...` is the same command tree).
 */
import { Command } from 'commander';
import { registerPlant } from './cli.js';

const program = new Command('plant-main');
registerPlant(program);
await program.parseAsync(['plant', ...process.argv.slice(2)], { from: 'user' });
