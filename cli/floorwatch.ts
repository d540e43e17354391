#!/usr/bin/env node
/**
 * The one floorwatch CLI. Subcommands are thin: parse, load config, call the part's main.
 * Each command lives in cli/commands/ and only the one being run is imported (all of them for
 * help), so `floorwatch run` does not load the brain, and the agent loads neither brain nor
 * plant code: every module loaded stays in the agent's RSS for its whole life.
 */
import { Command } from 'commander';
import { VERSION } from '../lib/version.js';
import { ConfigError, FloorwatchError } from '../lib/errors.js';

type Register = (p: Command) => void;
const commands: Record<string, () => Promise<Register | undefined>> = {
  brain: async () => (await import('./commands/brain.js')).registerBrain,
  agent: async () => (await import('./commands/agent.js')).registerAgent,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  incidents: async () => (await import('./commands/incidents.js')).registerIncidents,
  agents: async () => (await import('./commands/agents.js')).registerAgents,
  drill: async () => (await import('./commands/drill.js')).registerDrill,
  check: async () => (await import('./commands/check.js')).registerCheck,
  access: async () => (await import('./commands/access.js')).registerAccess,
  run: () => optional('run'),
  plant: () => optional('plant'),
};

/** A command whose module may be absent from a trimmed build. */
async function optional(name: string): Promise<Register | undefined> {
  try {
    const mod = (await import(`./commands/${name}.js`)) as Record<string, Register>;
    return mod[`register${name[0]!.toUpperCase()}${name.slice(1)}`];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return undefined;
  }
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another floorwatch? pick another port with the flags)',
  EACCES: 'permission denied (ports below 1024 need root)',
  EADDRNOTAVAIL: 'no interface on this host has that address',
};

const program = new Command()
  .name('floorwatch')
  .description('Monitoring for trading floors and their market-data plants.')
  .version(VERSION)
  .showHelpAfterError();

const asked = process.argv[2];
for (const name of asked && asked in commands ? [asked] : Object.keys(commands)) (await commands[name]!())?.(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof FloorwatchError) {
    process.stderr.write(`floorwatch: ${err.message}\n`);
    process.exit(2);
  }
  const sys = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (sys.syscall === 'listen' || sys.syscall === 'bind') {
    // A port in use or not permitted is the user's to fix: say which, without a stack trace.
    const where = sys.port === undefined ? sys.address : `${sys.address}:${sys.port}`;
    const why = LISTEN_ERRORS[sys.code ?? ''] ?? sys.message;
    process.stderr.write(`floorwatch: cannot listen on ${where}: ${why} (${sys.code})\n`);
    process.exit(2);
  }
  throw err;
}
