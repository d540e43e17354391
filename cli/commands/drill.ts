/**
 * `floorwatch drill NAME`: a fault drill against a running floor (the demo's by default): inject,
 * watch the brain conclude and page, restore, report. Exit 1 when the brain did not conclude
 * what the drill expects.
 */
import type { Command } from 'commander';
import { positiveInt, secondsFlag } from '../flags.js';
import { DEFAULT_DEMO_URL } from '../demo/layout.js';

export function registerDrill(program: Command): void {
  program
    .command('drill [name]')
    .description('Run a fault drill against a running floor (`floorwatch demo`); --list shows them.')
    .option('--brain <url>', 'brain HTTP address', process.env['FLOORWATCH_BRAIN_URL'] ?? 'http://127.0.0.1:7080')
    .option('--demo <url>', "the demo's HTTP side (fixtures, logs, influxd)", DEFAULT_DEMO_URL)
    .option('--steps <n>', 'keep the fault until this many escalation steps have paged', positiveInt, 1)
    .option(
      '--timeout <duration>',
      'longest wait for each phase (incident, pages, resolution): 90s, 5m; a bare number is seconds',
      secondsFlag,
      90,
    )
    .option('--list', 'list the drills')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        name: string | undefined,
        o: { brain: string; demo: string; steps: number; timeout: number; list?: boolean; json?: boolean },
      ) => {
        const { DRILLS, drillNamed } = await import('../drill/registry.js');
        if (o.list || !name) {
          for (const d of DRILLS) process.stdout.write(`${d.name.padEnd(18)} ${d.what}\n`);
          return;
        }
        const drill = drillNamed(name);
        if (!drill) {
          process.stderr.write(`floorwatch: no drill "${name}"; drills: ${DRILLS.map((d) => d.name).join(', ')}\n`);
          process.exit(2);
        }
        const { runDrill } = await import('../drill/drill.js');
        const { formatResult } = await import('../drill/report.js');
        const result = await runDrill(drill, { brainUrl: o.brain, demoUrl: o.demo, steps: o.steps, timeoutMs: o.timeout * 1000 });
        process.stdout.write(o.json ? JSON.stringify(result) + '\n' : formatResult(result));
        if (result.problems.length > 0) process.exitCode = 1;
      },
    );
}
