/**
 * The demo's brain pair (docs/brain-pair.md): brain A, brain B and the witness, each its own
 * process (`floorwatch brain`, `floorwatch brain witness`), so a drill can SIGKILL or SIGSTOP the
 * primary and the demo itself keeps running. Each brain has its own config file (its ports and
 * state directory) around the same `pair:` section; the witness reads brain A's. Both brains get
 * the same `secret.key`, so a wall-board sign-in and a page mail's reply token stay valid across
 * a take-over. A brain that exits stays down until `start(id)` (the drills' restore).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { parseBrainConfig } from '../../brain/config.js';
import { askMember } from '../../brain/pair/node.js';
import type { Logger } from '../../lib/log.js';
import { waitFor } from '../../lib/wait-for.js';
import { stopChild } from './floor-processes.js';

const CLI = resolve(import.meta.dirname, '../floorwatch.js');

/**
 * The demo's pair timing: a 500 ms heartbeat, take-over after 8 missed (4 s; the primary holds
 * its lease 3.6 s past its last renewal). Not the packaged 200 ms × 2: a brain that became
 * primary started its alerting, history and paging in one synchronous step, which took 1.6–3.2 s
 * on the shared 2-core box at load 12–33 with the demo's full rule set (role logs: the lease
 * lapsed during that step after every election, and the pair flapped through twenty terms in a
 * minute). The start now yields between its steps (brain/pair/takeover-steps.ts); the demo's
 * brains have not been measured at the packaged timing since, so this stays. A leg unheard 6 s
 * pages (PairLegDown).
 */
export const DEMO_PAIR_TIMING = { heartbeat_ms: 500, missed_heartbeats: 8, leg_down_after_ms: 6000 } as const;

export const LEG_IDS = ['brain-a', 'brain-b'] as const;
export type LegId = (typeof LEG_IDS)[number];
export const WITNESS_ID = 'witness';

export interface DemoBrainLeg {
  readonly id: LegId;
  /** Its own API and wall board (the demo's printed URL follows the primary: brain-vip.ts). */
  readonly url: string;
  /** gRPC, where agents deliver (to the primary; the secondary refuses). */
  readonly grpc: string;
  /** UDP of the pair protocol (`floorwatch brain pair-status` asks here). */
  readonly pair: string;
  readonly stateDir: string;
  readonly config: string;
  /** Its role log, one JSON line per role change (the drills read when the take-over came). */
  readonly roleLog: string;
  /** Its process while running; undefined once it exited. */
  readonly pid: number | undefined;
}

export interface DemoBrainPair {
  readonly legs: readonly DemoBrainLeg[];
  readonly witness: { readonly id: string; readonly pair: string; readonly pid: number | undefined; readonly config: string };
  /** The pair's UDP health targets for the plant (one per brain). */
  readonly healthTargets: readonly string[];
  /** Starts a leg that is not running (after a drill killed it); resolves once it answers. */
  start(id: string): Promise<void>;
  /** The leg that says it is primary now (asked over the pair's UDP), if any. */
  primary(): Promise<DemoBrainLeg | undefined>;
  stop(): Promise<void>;
}

export interface DemoBrainPairOptions {
  readonly dir: string;
  /** The single-brain config the demo would run (configs.ts brainConfigText), made per leg. */
  readonly baseConfig: string;
  /** Brain A's plant health port (the demo's --health-port); brain B gets a free one. */
  readonly healthPort: number;
  readonly logsDir: string;
  readonly log: Logger;
}

/** Writes the configs, starts the witness and both brains, and waits until each answers (not for a primary). */
export async function startDemoBrainPair(o: DemoBrainPairOptions): Promise<DemoBrainPair> {
  const tcp = () => freePort('tcp');
  const udp = () => freePort('udp');
  const ports = {
    a: { grpc: await tcp(), http: await tcp(), health: o.healthPort, pair: await udp(), replication: await tcp() },
    b: { grpc: await tcp(), http: await tcp(), health: await udp(), pair: await udp(), replication: await tcp() },
    witness: await udp(),
  };
  const at = (port: number) => `127.0.0.1:${port}`;
  const pair = {
    ...DEMO_PAIR_TIMING,
    members: [
      { id: 'brain-a', pair: at(ports.a.pair), replication: at(ports.a.replication) },
      { id: 'brain-b', pair: at(ports.b.pair), replication: at(ports.b.replication) },
      { id: WITNESS_ID, pair: at(ports.witness), witness: true },
    ],
  };
  const secret = randomBytes(32);
  const legs = LEG_IDS.map((id, i) => {
    const p = i === 0 ? ports.a : ports.b;
    const stateDir = join(o.dir, id);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(stateDir, 'secret.key'), secret, { mode: 0o600 });
    const doc = parse(o.baseConfig) as Record<string, unknown>;
    doc['brain'] = { ...(doc['brain'] as object), id, state_dir: stateDir };
    doc['listen'] = at(p.grpc);
    doc['http'] = at(p.http);
    doc['plant'] = { ...(doc['plant'] as object), health_listen: at(p.health) };
    doc['pair'] = pair;
    const text = stringify(doc);
    parseBrainConfig(text, `demo ${id} config`); // refused here, with its reason, rather than in a child's log
    const config = join(o.dir, `${id}.yaml`);
    writeFileSync(config, text, { mode: 0o600 });
    return {
      id,
      url: `http://${at(p.http)}`,
      grpc: at(p.grpc),
      pair: at(p.pair),
      stateDir,
      config,
      roleLog: join(stateDir, 'pair-roles.jsonl'),
    };
  });
  const children = new Map<string, ChildProcess>();
  const spawnMember = async (id: string, args: string[]) => {
    const out = createWriteStream(join(o.logsDir, `${id}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Role changes are in each brain's role log (pair-roles.jsonl); the log file takes warnings.
      env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'warn' },
    });
    children.set(id, child);
    child.stderr!.pipe(out);
    child.once('error', (err) => o.log.error({ err, id }, 'demo brain failed to start'));
    const ready = new Promise<void>((res, rej) => {
      createInterface({ input: child.stdout! }).on('line', (l) => (l.startsWith('{"ready"') ? res() : out.write(`${l}\n`)));
      child.once('exit', (code, sig) =>
        rej(new Error(`${id} exited before it was ready (${sig ?? code}); see ${join(o.logsDir, `${id}.log`)}`)),
      );
    });
    await ready;
  };
  const witnessConfig = legs[0]!.config;
  const legArgs = (leg: (typeof legs)[number]) => ['brain', '--config', leg.config, '--id', leg.id];
  await Promise.all([
    spawnMember(WITNESS_ID, ['brain', 'witness', '--config', witnessConfig, '--state-dir', join(o.dir, WITNESS_ID)]),
    ...legs.map((leg) => spawnMember(leg.id, legArgs(leg))),
  ]);
  const running = (id: string) => {
    const c = children.get(id);
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  };
  const legNow = (leg: (typeof legs)[number]): DemoBrainLeg => ({ ...leg, pid: running(leg.id) });
  return {
    get legs() {
      return legs.map(legNow);
    },
    get witness() {
      return { id: WITNESS_ID, pair: at(ports.witness), pid: running(WITNESS_ID), config: witnessConfig };
    },
    healthTargets: [at(ports.a.health), at(ports.b.health)],
    async start(id) {
      const leg = legs.find((l) => l.id === id);
      if (!leg) throw new Error(`no brain ${id} in the demo's pair (${LEG_IDS.join(', ')})`);
      if (running(id)) throw new Error(`${id} is running already (pid ${running(id)})`);
      await spawnMember(id, legArgs(leg));
    },
    async primary() {
      const answers = await Promise.all(legs.map((l) => askMember(l.pair, { t: 'status?' }, 300)));
      const i = answers.findIndex((a) => a?.t === 'status' && a.status.role === 'primary');
      return i < 0 ? undefined : legNow(legs[i]!);
    },
    async stop() {
      await Promise.all([...children.values()].map(stopChild));
    },
  };
}

/** Waits until one leg is primary: agents started before would be refused by both and back off. */
export async function waitForPrimary(p: DemoBrainPair, timeoutMs = 60_000): Promise<DemoBrainLeg> {
  return waitFor('a primary in the demo brain pair', () => p.primary(), { timeoutMs, everyMs: 50 });
}

/** A port free on 127.0.0.1 a moment ago (the kernel's choice). */
function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp')
    return new Promise((res, rej) => {
      const s = createSocket('udp4');
      s.once('error', rej);
      s.bind(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => res(port));
      });
    });
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}
