import type { Command } from 'commander';
import { DEMO_DEFAULTS } from '../demo/options.js';
import { secondsFlag } from '../flags.js';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`not a port: ${v}`);
  return n;
};

export function registerDemo(program: Command): void {
  const d = DEMO_DEFAULTS;
  program
    .command('demo')
    .description('Run a demo floor on this machine: brain, agents, plant, pager and mail sinks; prints where to look.')
    .option('--state-dir <dir>', 'where the demo keeps everything (wiped at start)', d.stateDir)
    .option('--http-port <port>', "the brain's HTTP API", port, d.httpPort)
    .option('--demo-port <port>', "the demo's HTTP side (pages, mails, layout for drills)", port, d.demoPort)
    .option('--health-port <port>', 'UDP port for the plant health heartbeats', port, d.healthPort)
    .option('--plant-port-base <port>', 'first of the plant ports (base .. base+32)', port, d.plantPortBase)
    .option('--snpp-port <port>', 'the SNPP sink the brain pages into', port, d.snppPort)
    .option('--smtp-port <port>', 'the SMTP sink the brain mails into', port, d.smtpPort)
    .option(
      '--escalate-after <duration>',
      'unacknowledged this long, the back line is paged: 30s, 2m; a bare number is seconds',
      secondsFlag,
      d.escalateAfterS,
    )
    .option('--influx <url|none>', 'an InfluxDB 1.x to use (default: start influxd if installed; none: no InfluxDB)')
    .action(
      async (o: {
        stateDir: string;
        httpPort: number;
        demoPort: number;
        healthPort: number;
        plantPortBase: number;
        snppPort: number;
        smtpPort: number;
        escalateAfter: number;
        influx?: string;
      }) => {
        const { runDemo } = await import('../demo/demo.js');
        await runDemo({ ...o, escalateAfterS: o.escalateAfter });
      },
    );
}
