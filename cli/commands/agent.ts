import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import type { AgentConfig } from '../../agent/config.js';
import { deferOptimisingCompiler } from '../../agent/optimiser-gate.js';
import { exitOnUncaught, onShutdown } from '../shutdown.js';

/**
 * Set before the agent's modules load. V8 grows the young generation to 2 × 8 MB under the
 * start-up allocation burst and keeps it; an agent allocates little afterwards, so a young
 * generation that never grows (1 MB semi-spaces) costs a few more scavenges under a log burst
 * and saves ~9 MB of RSS (docs/benchmarks.md, agent section). This flag is read at run time,
 * unlike --max-semi-space-size, so no re-exec is needed.
 */
const AGENT_V8_FLAGS = '--semi-space-growth-factor=1';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('Run a host agent: sample this host and stream to the brain.')
    .option('-c, --config <file>', 'agent configuration file (YAML); defaults are embedded')
    .option('--id <id>', 'agent id (default: host name)')
    .option('--brain <host:port...>', 'brain addresses, primary first (overrides the config)')
    .option('--state-dir <dir>', 'where the queue and offsets live (overrides the config)')
    .action(async (opts: { config?: string; id?: string; brain?: string[]; stateDir?: string }) => {
      setFlagsFromString(AGENT_V8_FLAGS);
      deferOptimisingCompiler();
      // Everything the agent loads is loaded after the flags: pino alone, loaded first, got
      // path functions optimised.
      const { createLogger } = await import('../../lib/log.js');
      const { loadAgentConfig, parseAgentConfig } = await import('../../agent/config.js');
      const { startAgent } = await import('../../agent/main.js');
      const config: AgentConfig = opts.config ? loadAgentConfig(opts.config) : parseAgentConfig('{}');
      if (opts.id) {
        config.agent.id = opts.id;
        if (!opts.config) config.agent.state_dir = `.floorwatch/agent-${opts.id}`;
      }
      if (opts.brain) config.brain.addresses = opts.brain;
      if (opts.stateDir) config.agent.state_dir = opts.stateDir;
      const log = createLogger({ name: 'agent' });
      exitOnUncaught(log);
      const { readFileSync } = await import('node:fs');
      const agent = await startAgent(config, log, undefined, opts.config ? { configText: readFileSync(opts.config, 'utf8') } : {});
      process.stdout.write(JSON.stringify({ ready: 'agent', id: agent.id }) + '\n');
      onShutdown(async () => {
        const result = await agent.stop();
        process.stdout.write(
          JSON.stringify({ stopped: 'agent', id: agent.id, drained: result.drained, cumulative_samples: result.cumulativeSamples }) + '\n',
        );
      });
    });
}
