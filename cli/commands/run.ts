/**
 * `floorwatch run --name NAME [options] -- CMD ARGS`: start and supervise a process, capture its
 * output to a log file and report it to the host's agent over the local socket.
 */
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AGENT_SOCKET } from '../../agent/local/protocol.js';
import { runWrapper } from '../../agent/wrapper/run-wrapper.js';
import { nonNegativeInt, positiveInt } from '../flags.js';
import { DEFAULT_RESTART_POLICY, RESTART_MODES, type RestartMode } from '../../agent/wrapper/restart-policy.js';

const NAME_SYNTAX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface RunFlags {
  name: string;
  restart: RestartMode;
  maxRestarts: number;
  backoffMs: number;
  backoffMaxMs: number;
  log?: string;
  agentSocket: string;
  reportQueue: number;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start and supervise a process, capture its output and report it to the local agent')
    .requiredOption('--name <name>', 'process name used in reports and the default log file name', parseName)
    .addOption(new Option('--restart <policy>', 'when to restart the child').choices(RESTART_MODES).default(DEFAULT_RESTART_POLICY.mode))
    .option('--max-restarts <n>', 'consecutive restarts before giving up', nonNegativeInt, DEFAULT_RESTART_POLICY.maxRestarts)
    .option(
      '--backoff-ms <ms>',
      'first restart delay, doubled per consecutive restart',
      nonNegativeInt,
      DEFAULT_RESTART_POLICY.backoffMinMs,
    )
    .option('--backoff-max-ms <ms>', 'longest restart delay', nonNegativeInt, DEFAULT_RESTART_POLICY.backoffMaxMs)
    .option('--log <file>', "append the child's stdout and stderr here (default <state dir or /tmp>/NAME.log)")
    .option('--agent-socket <path>', "the agent's local socket", process.env['FLOORWATCH_AGENT_SOCKET'] ?? DEFAULT_AGENT_SOCKET)
    .option('--report-queue <n>', 'reports kept while the agent is unreachable (oldest dropped)', positiveInt, 10_000)
    .argument('<command...>', 'the command and its arguments, after --')
    .action(async (command: string[], flags: RunFlags, self: Command) => {
      const [cmd, ...args] = command;
      if (!cmd) return self.error('error: a command is required after --');
      if (flags.backoffMaxMs < flags.backoffMs) return self.error('error: --backoff-max-ms must be >= --backoff-ms');
      const status = await runWrapper({
        name: flags.name,
        command: cmd,
        args,
        policy: {
          ...DEFAULT_RESTART_POLICY,
          mode: flags.restart,
          maxRestarts: flags.maxRestarts,
          backoffMinMs: flags.backoffMs,
          backoffMaxMs: flags.backoffMaxMs,
        },
        logFile: flags.log ?? join(process.env['FLOORWATCH_STATE_DIR'] ?? '/tmp', `${flags.name}.log`),
        agentSocket: flags.agentSocket,
        reportQueue: flags.reportQueue,
      });
      process.exit(status);
    });
}

/** Runs `floorwatch run` with the arguments that follow `run` (for the standalone entry and tests). */
export async function runMain(argv: readonly string[]): Promise<void> {
  const program = new Command('floorwatch');
  registerRun(program);
  await program.parseAsync(['run', ...argv], { from: 'user' });
}

function parseName(value: string): string {
  if (!NAME_SYNTAX.test(value)) throw new InvalidArgumentError('letters, digits, ".", "_" and "-" only, at most 64');
  return value;
}
