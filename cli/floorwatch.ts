#!/usr/bin/env node
/**
 * The one floorwatch CLI. Subcommands are thin: parse, load config, call the part's main.
 * Each command lives in cli/commands/ and is imported lazily, so `floorwatch run` does not
 * load the brain, and the agent never loads brain code.
 */
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { registerAgent } from './commands/agent.js';
import { registerBrain } from './commands/brain.js';
import { registerDemo } from './commands/demo.js';
import { registerDrill } from './commands/drill.js';
import { registerIncidents } from './commands/incidents.js';
import { ConfigError, FloorwatchError } from '../lib/errors.js';

const program = new Command()
  .name('floorwatch')
  .description('Monitoring for trading floors and their market-data plants.')
  .version(VERSION)
  .showHelpAfterError();

registerBrain(program);
registerAgent(program);
registerDemo(program);
registerIncidents(program);
registerDrill(program);
for (const extra of ['run', 'plant']) {
  try {
    const mod = (await import(`./commands/${extra}.js`)) as Record<string, (p: Command) => void>;
    const register = mod[`register${extra[0]!.toUpperCase()}${extra.slice(1)}`];
    register?.(program);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
  }
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof FloorwatchError) {
    process.stderr.write(`floorwatch: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
