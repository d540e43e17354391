/**
 * `floorwatch incidents | ack | note | silence | resolve | report`: the brain's incidents from a terminal,
 * over its HTTP API (default http://127.0.0.1:7080, or FLOORWATCH_BRAIN_URL). The brain records
 * the token's user as the actor: there is no --by.
 */
import type { Command } from 'commander';
import type { IncidentSummary } from '../../brain/incidents/api.js';
import { authHeaders, brainToken } from '../brain-token.js';
import { durationFlag } from '../flags.js';

const brainUrl = (opt?: string) => opt ?? process.env['FLOORWATCH_BRAIN_URL'] ?? 'http://127.0.0.1:7080';

interface Common {
  brain?: string;
  tokenFile?: string;
}

function tokenOrExit(o: Common): string | undefined {
  try {
    return brainToken(o.tokenFile);
  } catch (err) {
    process.stderr.write(`floorwatch: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

async function call(o: Common, path: string, post?: unknown): Promise<unknown> {
  const headers = { ...authHeaders(tokenOrExit(o)), ...(post ? { 'content-type': 'application/json' } : {}) };
  const res = await fetch(`${brainUrl(o.brain)}${path}`, post ? { method: 'POST', body: JSON.stringify(post), headers } : { headers });
  const text = await res.text();
  if (!res.ok) {
    const hint =
      res.status === 401 ? ' (give a token: --token-file FILE or FLOORWATCH_TOKEN; `floorwatch access new-token` makes one)' : '';
    process.stderr.write(`floorwatch: ${res.status} ${text}${hint}\n`);
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
  const withBrain = (c: Command) =>
    c
      .option('--brain <url>', 'brain HTTP address (default http://127.0.0.1:7080)')
      .option('--token-file <file>', 'API token file (default: $FLOORWATCH_TOKEN, $FLOORWATCH_TOKEN_FILE)');
  withBrain(program.command('incidents').description('list incidents (active by default)'))
    .option('--status <status>', 'active (not resolved) | all | open | acknowledged | resolved', 'active')
    .option('--json', 'print JSON')
    .action(async (o: Common & { status: string; json?: boolean }) => {
      const list = (await call(o, `/api/incidents?status=${encodeURIComponent(o.status)}`)) as IncidentSummary[];
      if (o.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else printList(list, o.status);
    });
  withBrain(program.command('ack <id>').description('acknowledge an incident (stops its escalation)'))
    .option('--note <text>', 'a note for the timeline')
    .action(async (id: string, o: Common & { note?: string }) => {
      await call(o, `/api/incidents/${encodeURIComponent(id)}/ack`, o.note ? { note: o.note } : {});
      process.stdout.write(`${id} acknowledged\n`);
    });
  withBrain(program.command('note <id> <text...>').description('add a note to an incident timeline (internal unless --for-clients)'))
    .option('--for-clients', 'the clients may read it: client status mails carry it')
    .action(async (id: string, text: string[], o: Common & { forClients?: boolean }) => {
      await call(o, `/api/incidents/${encodeURIComponent(id)}/note`, {
        text: text.join(' '),
        ...(o.forClients ? { for_clients: true } : {}),
      });
      process.stdout.write(`note added to ${id}\n`);
    });
  withBrain(program.command('silence <id>').description('silence an incident: no more pages, still recorded'))
    .requiredOption('--reason <text>', 'why')
    .option('--for <duration>', 'how long: 30m, 2h, 1d, 1h30m (default: until resolved)', (v: string) => (durationFlag(v), v))
    .action(async (id: string, o: Common & { reason: string; for?: string }) => {
      await call(o, `/api/incidents/${encodeURIComponent(id)}/silence`, { reason: o.reason, ...(o.for ? { for: o.for } : {}) });
      process.stdout.write(`${id} silenced${o.for ? ` for ${o.for}` : ' until resolved'}\n`);
    });
  withBrain(program.command('resolve <id>').description('close an incident by hand (its alerts firing again open a new one)'))
    .requiredOption('--reason <text>', 'why it is over')
    .action(async (id: string, o: Common & { reason: string }) => {
      await call(o, `/api/incidents/${encodeURIComponent(id)}/resolve`, { reason: o.reason });
      process.stdout.write(`${id} resolved\n`);
    });
  withBrain(program.command('report <id>').description('print the incident report (markdown)')).action(async (id: string, o: Common) => {
    process.stdout.write(String(await call(o, `/api/incidents/${encodeURIComponent(id)}/report`)) + '\n');
  });
}
