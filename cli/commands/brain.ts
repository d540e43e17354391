import type { Command } from 'commander';
import type { BrainConfig } from '../../brain/config.js';
import { createLogger } from '../../lib/log.js';
import { onShutdown } from './shutdown.js';

export function registerBrain(program: Command): void {
  program
    .command('brain')
    .description('Run the central brain: ingest agent streams, keep state, store metrics.')
    .option('-c, --config <file>', 'brain configuration file (YAML); defaults are embedded')
    .option('--listen <host:port>', 'gRPC address for agents (overrides the config)')
    .option('--http <host:port>', 'HTTP address for the API and /metrics (overrides the config)')
    .option('--state-dir <dir>', 'where the spool and state live (overrides the config)')
    .action(async (opts: { config?: string; listen?: string; http?: string; stateDir?: string }) => {
      // Loaded here, not at the top: every other command (the agent above all) would carry the brain's ~10 MB.
      const { loadBrainConfig, parseBrainConfig } = await import('../../brain/config.js');
      const { startBrain } = await import('../../brain/main.js');
      const config: BrainConfig = opts.config ? loadBrainConfig(opts.config) : parseBrainConfig('{}');
      if (opts.listen) config.listen = opts.listen;
      if (opts.http) config.http = opts.http;
      if (opts.stateDir) config.brain.state_dir = opts.stateDir;
      const log = createLogger({ name: 'brain' });
      const brain = await startBrain(config, log);
      // Machine-readable readiness line for scripts and tests.
      process.stdout.write(JSON.stringify({ ready: 'brain', grpc_port: brain.grpcPort, http_port: brain.httpPort }) + '\n');
      onShutdown(() => brain.stop());
    });
}
