/**
 * `floorwatch incidents | ack | note | silence | report`: the brain's incidents from a terminal,
 * over its HTTP API (default http://127.0.0.1:7080, or FLOORWATCH_BRAIN_URL).
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { IncidentSummary } from '../../brain/incidents/api.js';

const brainUrl = (opt?: string) => opt ?? process.env['FLOORWATCH_BRAIN_URL'] ?? 'http://127.0.0.1:7080';
const me = () => process.env['FLOORWATCH_USER'] ?? userInfo().username;

async function call(url: string, init?: { method: 'POST'; body: unknown }): Promise<unknown> {
  const res = await fetch(url, init ? { method: 'POST', body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : undefined);
  const text = await res.text();
  if (!res.ok) {
    process.stderr.write(`floorwatch: ${res.status} ${text}\n`);
    process.exit(1);
  }
  return res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
}

function printList(list: IncidentSummary[], status: string): void {
  if (list.length === 0) {
    const hint = status === 'all' ? '' : ' (--status all lists every incident)';
    return void process.stdout.write(`no ${status === 'all' ? '' : `${status} `}incidents${hint}\n`);
  }
  for (const i of list) {
    const opened = new Date(i.openedAt).toISOString().slice(11, 19);
    process.stdout.write(`${i.id.padEnd(10)} ${i.status.padEnd(12)} ${i.severity.padEnd(8)} ${opened}Z  ${i.title}\n`);
  }
}

export function registerIncidents(program: Command): void {
  const brain = ['--brain <url>', 'brain HTTP address (default http://127.0.0.1:7080)'] as const;
  program
    .command('incidents')
    .description('list incidents (active by default)')
    .option(...brain)
    .option('--status <status>', 'active (not resolved) | all | open | acknowledged | resolved', 'active')
    .option('--json', 'print JSON')
    .action(async (o: { brain?: string; status: string; json?: boolean }) => {
      const list = (await call(`${brainUrl(o.brain)}/api/incidents?status=${encodeURIComponent(o.status)}`)) as IncidentSummary[];
      if (o.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else printList(list, o.status);
    });
  program
    .command('ack <id>')
    .description('acknowledge an incident (stops its escalation)')
    .option(...brain)
    .option('--by <name>', 'who acknowledges (default: your user name)')
    .option('--note <text>', 'a note for the timeline')
    .action(async (id: string, o: { brain?: string; by?: string; note?: string }) => {
      await call(`${brainUrl(o.brain)}/api/incidents/${encodeURIComponent(id)}/ack`, { method: 'POST', body: { by: o.by ?? me(), note: o.note } });
      process.stdout.write(`${id} acknowledged\n`);
    });
  program
    .command('note <id> <text...>')
    .description('add a note to an incident timeline')
    .option(...brain)
    .option('--by <name>', 'author (default: your user name)')
    .action(async (id: string, text: string[], o: { brain?: string; by?: string }) => {
      await call(`${brainUrl(o.brain)}/api/incidents/${encodeURIComponent(id)}/note`, { method: 'POST', body: { by: o.by ?? me(), text: text.join(' ') } });
      process.stdout.write(`note added to ${id}\n`);
    });
  program
    .command('silence <id>')
    .description('silence an incident: no more pages, still recorded')
    .option(...brain)
    .requiredOption('--reason <text>', 'why')
    .option('--by <name>', 'author (default: your user name)')
    .option('--for <minutes>', 'expiry in minutes (default: until resolved)')
    .action(async (id: string, o: { brain?: string; by?: string; reason: string; for?: string }) => {
      const until = o.for ? Date.now() + Number(o.for) * 60_000 : undefined;
      await call(`${brainUrl(o.brain)}/api/incidents/${encodeURIComponent(id)}/silence`, { method: 'POST', body: { by: o.by ?? me(), reason: o.reason, ...(until ? { until_ms: until } : {}) } });
      process.stdout.write(`${id} silenced\n`);
    });
  program
    .command('report <id>')
    .description('print the incident report (markdown)')
    .option(...brain)
    .action(async (id: string, o: { brain?: string }) => {
      process.stdout.write(String(await call(`${brainUrl(o.brain)}/api/incidents/${encodeURIComponent(id)}/report`)) + '\n');
    });
}
