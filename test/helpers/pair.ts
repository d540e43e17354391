/**
 * The brain pair's set-up, shared by the brain-pair scenario tests and bench/brain-pair.bench.ts:
 * witness, brain A and brain B on loopback (real processes), an agent listing both brains, a
 * wrapped process the primary has seen start (killing it is the fault that pages), and the role
 * logs (`pair-roles.jsonl`) with the check that two brains never acted as primary at once.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alwaysOpenCalendar } from './calendar.js';
import { floorwatch, getJson, wrappedArgs, writeYaml, type FloorwatchProcess } from './floorwatch.js';
import { ALICE_ON_CALL } from './oncall.js';
import { freePort, waitFor, waitWhileProgressing } from './wait.js';

export type Side = 'a' | 'b';
export const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

/** What registers clean-ups: a tap test, or a benchmark's own list. */
export interface Owner {
  teardown(fn: () => unknown): void;
}

export const PROCESS_EXITED_RULE =
  'rules:\n  - { name: ProcessExited, kind: state-change, on: { kind: process.exit, min_severity: minor }, resolve: { kind: process.start }, by: [agent, host, process], severity: major }\n';

export interface PairView {
  id: string;
  role: string;
  term: number;
  primary?: string;
  syncedTerm: number;
  replica: { connected: boolean; to?: string; inSync?: boolean };
}

export interface RoleLine {
  atMs: number;
  id: string;
  pid: number;
  role: string;
  term: number;
  reason: string;
  leaseEndedAtMs?: number;
}

export interface PairFloor {
  readonly dir: string;
  readonly config: string;
  /** Each brain's HTTP API base (`http://…/api`). */
  readonly api: Record<Side, string>;
  /** Both brains' agent addresses, for an agent's `brain.addresses`. */
  readonly addresses: string[];
  /** The brain process now running on each side (the last one started). */
  readonly brains: Partial<Record<Side, FloorwatchProcess>>;
  /** Every brain process started, killed ones too (their stderr, for debugging). */
  readonly all: FloorwatchProcess[];
  /** Starts brain A or B (again) and waits for its ready line. */
  startBrain(side: Side): Promise<FloorwatchProcess>;
  /** A brain's view of the pair from /api/health; undefined while it does not answer. */
  pair(side: Side): Promise<PairView | undefined>;
  /** Which side says it is primary now, if any. */
  primary(): Promise<Side | undefined>;
  /** Waits for a primary whose partner is caught up (a kill then takes over at once). */
  settled(timeoutMs?: number): Promise<Side>;
  roleLog(side: Side): RoleLine[];
}

export interface PairFloorOptions {
  snppPort: number;
  heartbeatMs?: number;
  /** Escalation steps' `after_s` (each pages alice's pager); default one step at once. */
  stepsAfterS?: number[];
  /** Also load rules/brain.yaml (PairLegDown, the pair's own health). */
  brainRules?: boolean;
  /** Load every packaged rule file (the demo's rule set, a take-over's real start cost) beside the test's process rule. */
  packagedRules?: boolean;
  /** More top-level brain YAML (e.g. a `store:` line). */
  extra?: string;
  /** The compiled CLI when it is fresh (test/helpers/floorwatch.ts freshBuild). */
  built?: boolean;
  env?: Record<string, string>;
}

/** Writes the pair's config (rules, calendar, on-call, three members) and starts witness, A and B. */
export async function startPairFloor(t: Owner, dir: string, o: PairFloorOptions): Promise<PairFloor> {
  const port = () => freePort();
  const [grpcA, grpcB, httpA, httpB, pa, ra, pb, rb, pw] = [
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
  ];
  mkdirSync(`${dir}/rules`, { recursive: true });
  const packaged = resolve(import.meta.dirname, '../../rules');
  if (o.packagedRules)
    for (const name of readdirSync(packaged).filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml')))
      copyFileSync(join(packaged, name), `${dir}/rules/${name}`);
  if (o.brainRules) copyFileSync(join(packaged, 'brain.yaml'), `${dir}/rules/brain.yaml`);
  // The packaged host.yaml has its own ProcessExited.
  if (!o.packagedRules) writeYaml(`${dir}/rules`, 'host.yaml', PROCESS_EXITED_RULE);
  const steps = (o.stepsAfterS ?? [0]).map((s) => `{tier: first-line, after_s: ${s}}`).join(', ');
  const config = writeYaml(
    dir,
    'pair.yaml',
    `brain: {id: brain-a, state_dir: ${dir}/a}
listen: 127.0.0.1:${grpcA}
http: 127.0.0.1:${httpA}
access: {anonymous_read: true}
spool: {fsync: false}
rules: {dir: ${dir}/rules, calendar: ${writeYaml(dir, 'calendar.yaml', alwaysOpenCalendar())}}
paging:
  schedule: ${writeYaml(dir, 'oncall.yaml', ALICE_ON_CALL)}
  escalation: {steps: [${steps}], repeat_every_s: 600, max_repeats: 0}
  snpp: {host: 127.0.0.1, port: ${o.snppPort}, login: floorwatch}
${o.extra ?? ''}
pair:
  heartbeat_ms: ${o.heartbeatMs ?? 200}
  missed_heartbeats: 2
  members:
    - {id: brain-a, pair: 127.0.0.1:${pa}, replication: 127.0.0.1:${ra}}
    - {id: brain-b, pair: 127.0.0.1:${pb}, replication: 127.0.0.1:${rb}}
    - {id: witness, pair: 127.0.0.1:${pw}, witness: true}
`,
  );
  const args: Record<Side, string[]> = {
    a: ['brain', '--config', config],
    b: [
      'brain',
      '--config',
      config,
      '--id',
      'brain-b',
      '--state-dir',
      `${dir}/b`,
      '--listen',
      `127.0.0.1:${grpcB}`,
      '--http',
      `127.0.0.1:${httpB}`,
    ],
  };
  const api = { a: `http://127.0.0.1:${httpA}/api`, b: `http://127.0.0.1:${httpB}/api` };
  const launch = (a: string[]) => floorwatch(a, { built: o.built ?? false, ...(o.env ? { env: o.env } : {}) });
  const brains: Partial<Record<Side, FloorwatchProcess>> = {};
  const all: FloorwatchProcess[] = [];
  const startBrain = async (side: Side) => {
    const p = launch(args[side]);
    brains[side] = p;
    all.push(p);
    t.teardown(() => {
      p.child.kill('SIGCONT'); // a stopped brain must be woken to die
      return p.kill('SIGKILL');
    });
    await p.line((l) => l['ready'] === 'brain');
    return p;
  };
  const witness = launch(['brain', 'witness', '--config', config]);
  t.teardown(() => witness.kill('SIGKILL'));
  await Promise.all([witness.line((l) => l['ready'] === 'witness'), startBrain('a'), startBrain('b')]);
  const pair = async (side: Side) => (await getJson<{ pair: PairView }>(`${api[side]}/health`).catch(() => undefined))?.pair;
  const primary = async (): Promise<Side | undefined> => {
    const [pa, pb] = await Promise.all([pair('a'), pair('b')]);
    return pa?.role === 'primary' ? 'a' : pb?.role === 'primary' ? 'b' : undefined;
  };
  return {
    dir,
    config,
    api,
    addresses: [`127.0.0.1:${grpcA}`, `127.0.0.1:${grpcB}`],
    brains,
    all,
    startBrain,
    pair,
    primary,
    settled: (timeoutMs = 30_000) =>
      waitFor(
        'a primary and a caught-up secondary',
        async () => {
          const p = await primary();
          return p && (await pair(other(p)))?.replica.inSync ? p : undefined;
        },
        { timeoutMs, everyMs: 20 },
      ),
    roleLog: (side) => roleLog(join(dir, side, 'pair-roles.jsonl')),
  };
}

/** An agent listing `addresses` with the local socket sampler (for `floorwatch run`) and `samplers` YAML beside it. */
export async function startPairAgent(
  t: Owner,
  dir: string,
  o: {
    id?: string;
    addresses: string[];
    /** More samplers (YAML map entries). */
    samplers?: string;
    /** More `brain:` map entries, after a comma (e.g. `allow_plaintext_remote: true`). */
    brain?: string;
    /** More top-level agent YAML (e.g. `interval_ms: 100`). */
    extra?: string;
    /** The local socket sampler, for `floorwatch run` (default on). */
    socket?: boolean;
    built?: boolean;
  },
): Promise<{ agent: FloorwatchProcess; socket: string }> {
  const id = o.id ?? 'app-host';
  const socket = `${dir}/${id}.sock`;
  const agent = floorwatch(
    [
      'agent',
      '--config',
      writeYaml(
        dir,
        `${id}.yaml`,
        `agent: {id: ${id}, state_dir: ${dir}/${id}}\nbrain: {addresses: [${o.addresses.map((a) => `"${a}"`).join(', ')}]${o.brain ? `, ${o.brain}` : ''}}\n` +
          `samplers: {${[o.socket === false ? '' : `local: {path: ${socket}}`, o.samplers ?? ''].filter(Boolean).join(', ')}}\n${o.extra ?? ''}\n`,
      ),
    ],
    { built: o.built ?? false },
  );
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  return { agent, socket };
}

/**
 * `floorwatch run --name NAME -- sleep 600` reporting to the agent at `socket`, once the brain at
 * `api()` has its start: returns the wrapped child's pid; SIGKILL it and the primary opens an incident.
 */
export async function wrappedAtPrimary(
  t: Owner,
  o: { name: string; socket: string; api: () => string; dir: string; built?: boolean },
): Promise<{ pid: number; wrapper: FloorwatchProcess }> {
  const wrapper = floorwatch(wrappedArgs(o, ['sleep', '600']), { env: { FLOORWATCH_LOG_LEVEL: 'info' }, built: o.built ?? false });
  t.teardown(() => wrapper.kill('SIGKILL'));
  const pid = await waitFor(
    `${o.name}'s child`,
    () => {
      const l = wrapper.stderr.find((s) => s.includes('"child started"'));
      return l ? (JSON.parse(l) as { pid: number }).pid : undefined;
    },
    { timeoutMs: 20_000 },
  );
  // The deadline follows the primary's progress (events and batches it takes): a busy box is slow, not stuck.
  const health = () =>
    getJson<{ events: number; batches_ingested: number }>(`${o.api()}/health`).then(
      (h) => [h.events, h.batches_ingested],
      () => 'no answer',
    );
  await waitWhileProgressing(
    `${o.name}'s start at the primary`,
    async () =>
      (await getJson<{ tags: Record<string, string> }[]>(`${o.api()}/events?kind=process.start&limit=1000`).catch(() => [])).some(
        (e) => e.tags['process'] === o.name,
      ),
    health,
    { stallMs: 30_000, everyMs: 50, detail: () => `the wrapper said: ${wrapper.stderr.slice(-5).join(' | ')}` },
  );
  return { pid, wrapper };
}

export function roleLog(file: string): RoleLine[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as RoleLine);
  } catch {
    return [];
  }
}

/**
 * From the role logs: every time two processes both held "primary" for more than `toleranceMs`.
 * A process's primary span runs from its "primary" line to its next line (its lease end when
 * logged), or to its kill when its log stops there (`kills`), or to now.
 */
export function primaryOverlaps(lines: RoleLine[], kills: { pid: number; at: number }[], toleranceMs = 0): string[] {
  const byPid = new Map<number, RoleLine[]>();
  for (const l of lines) byPid.set(l.pid, [...(byPid.get(l.pid) ?? []), l]);
  const spans: { pid: number; id: string; from: number; to: number }[] = [];
  for (const [pid, ls] of byPid) {
    ls.sort((x, y) => x.atMs - y.atMs);
    ls.forEach((l, i) => {
      if (l.role !== 'primary') return;
      const next = ls[i + 1];
      const to = next ? (next.leaseEndedAtMs ?? next.atMs) : (kills.find((k) => k.pid === pid)?.at ?? Date.now());
      spans.push({ pid, id: l.id, from: l.atMs, to });
    });
  }
  const out: string[] = [];
  for (const x of spans)
    for (const y of spans) {
      const both = Math.min(x.to, y.to) - Math.max(x.from, y.from);
      if (x.pid < y.pid && both > toleranceMs)
        out.push(`${x.id}(pid ${x.pid}) ${x.from}-${x.to} and ${y.id}(pid ${y.pid}) ${y.from}-${y.to}: both primary ${both} ms`);
    }
  return out;
}
