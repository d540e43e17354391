import type { Command } from 'commander';
import type { BrainConfig } from '../../brain/config.js';
import type { PairNode } from '../../brain/pair/node.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { exitOnUncaught, onShutdown } from '../shutdown.js';

export function registerBrain(program: Command): void {
  const brain = program
    .command('brain')
    .description('Run the central brain: ingest agent streams, keep state, store metrics.')
    .option('-c, --config <file>', 'brain configuration file (YAML); defaults are embedded')
    .option('--id <id>', "this brain's id (overrides brain.id; a pair's brains may share one file)")
    .option('--listen <host:port>', 'gRPC address for agents (overrides the config)')
    .option('--http <host:port>', 'HTTP address for the API and /metrics (overrides the config)')
    .option('--state-dir <dir>', 'where the spool and state live (overrides the config)')
    .action(async (opts: { config?: string; id?: string; listen?: string; http?: string; stateDir?: string }) => {
      // Loaded here, not at the top: every other command (the agent above all) would carry the brain's ~10 MB.
      const { startBrain } = await import('../../brain/main.js');
      const config = await loadConfig(opts.config, opts.id);
      if (opts.listen) config.listen = opts.listen;
      if (opts.http) config.http = opts.http;
      if (opts.stateDir) config.brain.state_dir = opts.stateDir;
      const log = createLogger({ name: 'brain' });
      exitOnUncaught(log);
      const brain = await startBrain(config, log);
      // Machine-readable readiness line for scripts and tests.
      process.stdout.write(
        JSON.stringify({
          ready: 'brain',
          grpc_port: brain.grpcPort,
          http_port: brain.httpPort,
          ...(brain.pair ? { pair_role: brain.pair.node.machine.role } : {}),
        }) + '\n',
      );
      onShutdown(() => brain.stop());
    });

  brain
    .command('witness')
    .description("Run a brain pair's witness: the third vote that lets one brain of two hold a majority (docs/brain-pair.md).")
    .option('-c, --config <file>', "the pair's brain configuration (its pair: section names the witness)")
    .option('--id <id>', "the witness's member id (default: the member with witness: true)")
    .option('--state-dir <dir>', 'where the witness remembers its last term (default: brain.state_dir of the config)')
    .action(async (o: { config?: string; id?: string; stateDir?: string }) => {
      const opts = { ...o, config: configOf(o, brain) };
      const { startPairNode } = await import('../../brain/pair/node.js');
      const { voterFilePath } = await import('../../brain/pair/voter-file.js');
      const { systemClock } = await import('../../lib/clock.js');
      const config = await loadConfig(opts.config, undefined);
      const pair = pairOrExit(config, opts.config);
      const me = pair.members.find((m) => (opts.id ? m.id === opts.id : m.witness));
      if (!me?.witness) {
        process.stderr.write(`floorwatch: ${opts.config}: no witness member${opts.id ? ` named ${opts.id}` : ''} in pair.members\n`);
        process.exit(2);
      }
      const log = createLogger({ name: 'witness' });
      exitOnUncaught(log);
      const voterFile = voterFilePath(opts.stateDir ?? config.brain.state_dir, me.id);
      const node = await startPairNode({ config: pair, id: me.id, clock: systemClock, log, roleLog: undefined, voterFile }).catch(
        (err: Error) => fail(err.message),
      );
      const watch = await watchMonitorDown(config, pair, node, log);
      process.stdout.write(
        JSON.stringify({ ready: 'witness', id: me.id, pair_port: node.port, term: node.machine.term, voter_file: voterFile }) + '\n',
      );
      onShutdown(() => (watch?.stop(), node.stop()));
    });

  brain
    .command('handover')
    .description(
      'Hand the primary role of a brain pair to the secondary on purpose (upgrades): the primary stops paging first, then steps down.',
    )
    .option('-c, --config <file>', "the pair's brain configuration")
    .option('--timeout <ms>', 'how long to wait for the new primary', '5000')
    .action(async (o: { config?: string; timeout: string }) => {
      const opts = { ...o, config: configOf(o, brain) };
      const { askMember } = await import('../../brain/pair/node.js');
      const pair = pairOrExit(await loadConfig(opts.config, undefined), opts.config);
      const brains = pair.members.filter((m) => !m.witness);
      const statuses = await Promise.all(brains.map((m) => askMember(m.pair, { t: 'status?' }, 1000)));
      const primary = brains.find((_, i) => statuses[i]?.t === 'status' && statuses[i].status.role === 'primary');
      if (!primary) fail(`no brain answers as primary: ${JSON.stringify(statuses.map((s) => (s?.t === 'status' ? s.status : null)))}`);
      const answer = await askMember(primary.pair, { t: 'handover?' }, Number(opts.timeout));
      if (answer?.t !== 'handover' || !answer.ok)
        fail(`${primary.id} refused the hand-over: ${answer?.t === 'handover' ? answer.why : 'no answer'}`);
      const deadline = Date.now() + Number(opts.timeout);
      for (;;) {
        const now = await Promise.all(brains.map((m) => askMember(m.pair, { t: 'status?' }, 500)));
        const next = brains.find((m, i) => m.id !== primary.id && now[i]?.t === 'status' && now[i].status.role === 'primary');
        if (next) {
          process.stdout.write(
            JSON.stringify({
              handover: 'done',
              from: primary.id,
              to: next.id,
              term: (now[brains.indexOf(next)] as { status: { term: number } }).status.term,
            }) + '\n',
          );
          return;
        }
        if (Date.now() > deadline) fail(`${primary.id} stepped down but no new primary within ${opts.timeout} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });

  brain
    .command('pair-status')
    .description("Each member's view of a brain pair: role, term, lease, who it hears.")
    .option('-c, --config <file>', "the pair's brain configuration")
    .action(async (o: { config?: string }) => {
      const opts = { config: configOf(o, brain) };
      const { askMember } = await import('../../brain/pair/node.js');
      const pair = pairOrExit(await loadConfig(opts.config, undefined), opts.config);
      for (const m of pair.members) {
        const a = await askMember(m.pair, { t: 'status?' }, 1000);
        process.stdout.write(JSON.stringify(a?.t === 'status' ? a.status : { id: m.id, unreachable: m.pair }) + '\n');
      }
    });
}

/** `-c` given after the subcommand, or before it (then commander gives it to `brain`). */
function configOf(o: { config?: string }, parent: Command): string {
  const file = o.config ?? (parent.opts() as { config?: string }).config;
  if (!file) fail('give the pair configuration: -c FILE');
  return file;
}

async function loadConfig(file: string | undefined, id: string | undefined): Promise<BrainConfig> {
  const { loadBrainConfig, parseBrainConfig } = await import('../../brain/config.js');
  const { readFileSync } = await import('node:fs');
  if (!id) return file ? loadBrainConfig(file) : parseBrainConfig('{}');
  // --id decides which brain of the pair this is: validated as if the file said it.
  const { parse, stringify } = await import('yaml');
  const text = file ? readFileSync(file, 'utf8') : '{}';
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  doc['brain'] = { ...((doc['brain'] as object | undefined) ?? {}), id };
  return parseBrainConfig(stringify(doc), file ?? '<defaults>');
}

function pairOrExit(config: BrainConfig, file: string): NonNullable<BrainConfig['pair']> {
  if (!config.pair) fail(`${file}: no pair: section`);
  return config.pair!;
}

/** Both brains unheard: the witness pages `pair.witness_page` through `paging.snpp` (brain/pair/monitor-down.ts). */
async function watchMonitorDown(
  config: BrainConfig,
  pair: NonNullable<BrainConfig['pair']>,
  node: PairNode,
  log: Logger,
): Promise<{ stop(): void } | undefined> {
  const to = pair.witness_page;
  const snpp = config.paging?.snpp;
  if (!to || !snpp) return undefined;
  const { MonitorDownWatch } = await import('../../brain/pair/monitor-down.js');
  const { sendPage } = await import('../../brain/channels/snpp.js');
  const { systemClock } = await import('../../lib/clock.js');
  const watch = new MonitorDownWatch({
    clock: systemClock,
    log,
    brains: pair.members.filter((m) => !m.witness).map((m) => m.id),
    heardMsAgo: (id) => node.machine.heard(id)?.ageMs,
    afterMs: to.after_ms,
    page: (message) =>
      sendPage(
        { host: snpp.host, port: snpp.port, ...(snpp.login ? { login: { user: snpp.login } } : {}), hylafaxQueue: snpp.hylafax_queue },
        { pagerId: to.pager, message: message.slice(0, snpp.max_length) },
        AbortSignal.timeout(20_000),
      ),
  });
  watch.start();
  return watch;
}

function fail(why: string): never {
  process.stderr.write(`floorwatch: ${why}\n`);
  process.exit(1);
}
