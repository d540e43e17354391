/**
 * `floorwatch plant ...` (and plant/main.ts): the reference market-data plant, whole or one component
 * at a time. It lives in plant/ so the plant never imports the CLI; cli/commands/plant.ts re-exports it.
 */
import type { Command } from 'commander';
import { systemClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { loadPlantConfig, type PlantConfig } from './config.js';
import { FeedHandler } from './components/feed-handler.js';
import { Provider } from './components/provider.js';
import { sendProviderCommand } from './components/provider-commands.js';
import { runUntilSignal, type Component } from './components/runtime.js';
import { Subscriber } from './components/subscriber.js';
import { TickerPlant } from './components/ticker-plant.js';
import { HealthListener } from './health/listener.js';
import { runWholePlant } from './launcher.js';

interface Common {
  config?: string;
}

const num = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
};

export function registerPlant(program: Command): void {
  const plant = program
    .command('plant')
    .description('run the reference market-data plant: provider, feed-handler pair, ticker-plant pair, desks')
    .option('-c, --config <file>', 'plant config (YAML); embedded defaults without it');

  const common = (cmd: Command): Common => ({ ...plant.opts<Common>(), ...cmd.opts<Common>() });
  const withConfig = (c: Command) => c.option('-c, --config <file>', 'plant config (YAML)');

  withConfig(plant.command('all', { isDefault: true }).description('every component as its own process')).action(
    async (_o, cmd: Command) => {
      const o = common(cmd);
      const log = createLogger({ name: 'plant' });
      await runWholePlant(loadPlantConfig(o.config), o.config, log);
    },
  );

  withConfig(plant.command('provider').description('the simulated market-data provider (two lines)'))
    .option('--rate <n>', 'updates per second', num)
    .option('--count <n>', 'stop producing after this many updates (0: never)', num)
    .option('--drop-fraction <f>', 'fault injection: fraction of datagrams not sent', num)
    .action((o: { rate?: number; count?: number; dropFraction?: number }, cmd: Command) =>
      run(common(cmd), (cfg, log) => new Provider({ cfg, clock: systemClock, log, ...defined(o) })),
    );

  withConfig(plant.command('feed-handler').description('one member of the feed-handler pair'))
    .requiredOption('--id <id>', 'member id from the config')
    .option('--drop-fraction <f>', 'fault injection: fraction of datagrams not sent', num)
    .action((o: { id: string; dropFraction?: number }, cmd: Command) =>
      run(common(cmd), (cfg, log) => new FeedHandler({ cfg, clock: systemClock, log, ...defined(o) })),
    );

  withConfig(plant.command('ticker-plant').description('one member of the ticker-plant pair'))
    .requiredOption('--id <id>', 'member id from the config')
    .option('--drop-fraction <f>', 'fault injection: fraction of datagrams not sent', num)
    .action((o: { id: string; dropFraction?: number }, cmd: Command) =>
      run(common(cmd), (cfg, log) => new TickerPlant({ cfg, clock: systemClock, log, ...defined(o) })),
    );

  withConfig(plant.command('subscriber').description('trader workstations: one desk, or several in one process'))
    .requiredOption(
      '--id <ids>',
      'subscriber id from the config; comma-separated ids run several desks in this process, each with its own port, stream and health',
      list,
    )
    .option('--symbols <list>', 'comma-separated symbols, or *', list)
    .option('--max-symbol-age-ms <ms>', 'a symbol not updated for this long is stale', num)
    .action((o: { id: string[]; symbols?: string[]; maxSymbolAgeMs?: number }, cmd: Command) =>
      runAll(common(cmd), (cfg, log) => o.id.map((id) => new Subscriber({ cfg, clock: systemClock, log, ...defined({ ...o, id }) }))),
    );

  withConfig(
    plant.command('fix-venue').description('the FIX 4.4 venue gateway (acceptor; jspurefix), answering drill commands on fix.control_port'),
  ).action(async (_o, cmd: Command) => {
    const { FixSide } = await fixEngine();
    await run(common(cmd), (cfg, log) => new FixSide({ cfg, role: 'venue', log }));
  });

  withConfig(
    plant.command('fix-router').description("the floor's FIX 4.4 order router (initiator; jspurefix): orders and TestRequest probes"),
  ).action(async (_o, cmd: Command) => {
    const { FixSide } = await fixEngine();
    await run(common(cmd), (cfg, log) => new FixSide({ cfg, role: 'router', log }));
  });

  withConfig(plant.command('fix-ctl').description('command the FIX venue: slow ms=300 | logout | gap every_ms=2000 | normal | status'))
    .argument('<cmd>')
    .argument('[params...]', 'key=value')
    .action(async (cmd: string, params: string[], _o, c: Command) => {
      const cfg = loadPlantConfig(common(c).config);
      process.stdout.write((await sendProviderCommand(cfg, commandOf(cmd, params), cfg.fix.control_port)) + '\n');
    });

  withConfig(
    plant
      .command('ctl')
      .description(
        'command the provider: burst factor=5 ms=1000 | outage line=a ms=500 | gap line=b count=10 | rate rate=N | pause | resume',
      ),
  )
    .argument('<cmd>')
    .argument('[params...]', 'key=value')
    .action(async (cmd: string, params: string[], _o, c: Command) => {
      const cfg = loadPlantConfig(common(c).config);
      process.stdout.write((await sendProviderCommand(cfg, commandOf(cmd, params))) + '\n');
    });

  withConfig(plant.command('health').description('print the plant health heartbeats received on a port'))
    .option('--port <port>', 'UDP port (default: the first configured health target)', num)
    .action(async (o: { port?: number }, cmd: Command) => {
      const cfg = loadPlantConfig(common(cmd).config);
      const port = o.port ?? Number(cfg.health.targets[0]?.split(':').pop());
      const listener = new HealthListener({ port });
      listener.on('lost', (id) => process.stdout.write(`LOST ${id}\n`));
      listener.on('role_change', (id, from, to) => process.stdout.write(`ROLE ${id} ${from} -> ${to}\n`));
      await listener.start();
      setInterval(() => {
        for (const [id, v] of listener.components()) {
          const h = v.heartbeat;
          process.stdout.write(
            `${id.padEnd(10)} ${h.role.padEnd(9)} ${h.state.padEnd(8)} seq=${h.seq} in=${h.rates.in_per_s}/s p99=${h.latency_us?.p99 ?? '-'}us stale=${h.stale_symbols} ${h.reason ?? ''}\n`,
          );
        }
      }, 1000);
    });

  withConfig(plant.command('config').description('print the effective plant config')).action((_o, cmd: Command) => {
    process.stdout.write(JSON.stringify(loadPlantConfig(common(cmd).config), null, 2) + '\n');
  });
}

/**
 * The FIX engine (jspurefix) only for the two FIX commands: loading it costs every plant process
 * ~2 s of CPU (20 s of wall time at load 46), and a feed handler never uses it.
 */
function fixEngine(): Promise<typeof import('./fix/fix-side.js')> {
  return import('./fix/fix-side.js');
}

function run(o: Common, make: (cfg: PlantConfig, log: ReturnType<typeof createLogger>) => Component): Promise<void> {
  return runAll(o, (cfg, log) => [make(cfg, log)]);
}

async function runAll(o: Common, make: (cfg: PlantConfig, log: ReturnType<typeof createLogger>) => Component[]): Promise<void> {
  const cfg = loadPlantConfig(o.config);
  const components = make(cfg, createLogger({ name: 'plant' }));
  const log = createLogger({ name: components.map((c) => c.id).join(',') });
  for (const c of components) await c.start();
  log.info({ components: components.map((c) => c.id) }, 'started');
  runUntilSignal(components, log);
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `cmd key=value ...` as a JSON command; numbers stay numbers. */
function commandOf(cmd: string, params: string[]): Record<string, unknown> {
  const msg: Record<string, unknown> = { cmd };
  for (const p of params) {
    const [k, v] = p.split('=', 2);
    if (!k || v === undefined) throw new Error(`expected key=value, got ${p}`);
    msg[k] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return msg;
}
