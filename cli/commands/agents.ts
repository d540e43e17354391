/**
 * `floorwatch agents [--outdated]`: the fleet inventory from the brain's /api/fleet and
 * /api/agents: what each host is and runs, and which agents differ from the brain (software
 * version, or the digest of the configuration the brain pushes). Exit status with --outdated:
 * 0 none outdated, 1 some are (a rollout is not finished), 2 the brain could not be asked.
 */
import type { Command } from 'commander';
import { authHeaders, brainToken } from '../brain-token.js';

interface FleetAgent {
  id: string;
  host: string;
  connected: boolean;
  version: string;
  config_hash: string | null;
  pushed_config_hash: string | null;
  os: string | null;
  kernel: string | null;
  outdated: string[];
}
interface Fleet {
  brain: string;
  version: string;
  agent_config_hash: string;
  agents: FleetAgent[];
}

export function registerAgents(program: Command): void {
  program
    .command('agents')
    .description("the fleet: each agent's host, OS, kernel, version and config digest (from the brain)")
    .option('--outdated', "only agents whose version or pushed config differs from the brain's (exit 1 if any)")
    .option('--json', 'print JSON')
    .option('--brain <url>', 'brain HTTP address (default http://127.0.0.1:7080, or FLOORWATCH_BRAIN_URL)')
    .option('--token-file <file>', 'API token file (default: $FLOORWATCH_TOKEN, $FLOORWATCH_TOKEN_FILE)')
    .addHelpText(
      'after',
      '\nExit status: 0 listed (with --outdated: none outdated); 1 --outdated found some; 2 the brain could not be asked.',
    )
    .action(async (o: { outdated?: boolean; json?: boolean; brain?: string; tokenFile?: string }) => {
      const base = o.brain ?? process.env['FLOORWATCH_BRAIN_URL'] ?? 'http://127.0.0.1:7080';
      let fleet: Fleet;
      try {
        const res = await fetch(`${base}/api/fleet`, {
          headers: authHeaders(brainToken(o.tokenFile)),
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
        fleet = (await res.json()) as Fleet;
      } catch (err) {
        process.stderr.write(`floorwatch agents: ${base}/api/fleet: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const list = o.outdated ? fleet.agents.filter((a) => a.outdated.length > 0) : fleet.agents;
      if (o.json) process.stdout.write(JSON.stringify({ ...fleet, agents: list }, null, 2) + '\n');
      else {
        process.stdout.write(
          `brain ${fleet.brain} ${fleet.version}${fleet.agent_config_hash ? `, pushes config ${fleet.agent_config_hash}` : ''}\n`,
        );
        for (const a of list) {
          const state = a.connected ? 'up  ' : 'down';
          const why = a.outdated.length > 0 ? `  OUTDATED: ${a.outdated.join('; ')}` : '';
          process.stdout.write(
            `${a.id.padEnd(20)} ${state} ${a.version.padEnd(12)} config ${a.config_hash ?? '?'.padEnd(16)}  ${a.os ?? '?'} ${a.kernel ?? ''}${why}\n`,
          );
        }
        if (list.length === 0) process.stdout.write(o.outdated ? 'no agent is outdated\n' : 'no agents known\n');
      }
      if (o.outdated && list.length > 0) process.exitCode = 1;
    });
}
