/**
 * `floorwatch demo`: a whole floor on one machine, on embedded defaults. The brain as a pair
 * (brain A, brain B and the witness, each its own process, behind one address that follows the
 * primary: brain-pair.ts, brain-vip.ts); the reference plant with every component under the process wrapper, reporting to the plant
 * host's agent; six workstation agents (own processes) in two checkerboard colours; a fixture
 * host whose bond and memory come from trees the drills rewrite; a workstation on a real veth in
 * a network namespace (root only); SNPP and SMTP sinks the brain pages into; InfluxDB when
 * `influxd` is installed. Ctrl-C stops everything it started.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAgentConfig } from '../../agent/config.js';
import { startAgent, type AgentHandle } from '../../agent/main.js';
import { parseBrainConfig } from '../../brain/config.js';
import { parsePlantConfig } from '../../plant/config.js';
import { messageLogPath } from '../../plant/fix/fix-side.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger, type Logger } from '../../lib/log.js';
import { onShutdown } from '../shutdown.js';
import { makeDemoCredentials, type DemoCredentials } from './credentials.js';
import {
  brainConfigText,
  DEMO_FIX,
  DEMO_SCHEDULE,
  DEMO_TOPOLOGY,
  fixtureHostAgent,
  plantConfigText,
  plantHostAgent,
  vethHostAgent,
} from './configs.js';
import { spawnPlant, spawnWorkstations, stopChild } from './floor-processes.js';
import { startDemoHttp } from './demo-http.js';
import { writeDemoCalendar, writeDrillPacedRules } from './drill-paced-rules.js';
import { FIXTURE_BOND, FIXTURE_SLAVES, writeFixtureHost } from './fixture-host.js';
import { influxdOnPath, startDemoInfluxd, type DemoInfluxd } from './influxd.js';
import type { DemoLayout } from './layout.js';
import { createVeth } from './netns.js';
import type { DemoOptions } from './options.js';
import { startSmtpSink } from './smtp-sink.js';
import { startSnppSink } from './snpp-sink.js';
import { startPricerLog } from './pricer-log.js';
import { startDemoBrainPair, waitForPrimary, type DemoBrainPair } from './brain-pair.js';
import { startBrainVip } from './brain-vip.js';

const WORKSTATIONS = 6;
const INFLUX_DB = 'floorwatch_demo';

type Stop = () => Promise<void> | void;

export async function runDemo(o: DemoOptions): Promise<void> {
  const log = createLogger({ name: 'demo', level: process.env['FLOORWATCH_LOG_LEVEL'] ?? 'error' });
  const stops: Stop[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  // Registered first, so a Ctrl-C during start-up still stops what already runs.
  onShutdown(async () => {
    await stopAll();
    process.stdout.write('demo stopped; nothing left running.\n');
  });
  try {
    await startFloor(o, stops, log);
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Starts every part, pushing how to stop it onto `stops` as soon as it runs. */
async function startFloor(o: DemoOptions, stops: Stop[], log: Logger): Promise<void> {
  const dir = resolve(o.stateDir);
  rmSync(dir, { recursive: true, force: true });
  const logs = { app: join(dir, 'drill-logs/app.log') };
  for (const sub of ['logs', 'drill-logs', 'sinks', 'agents', 'fix-logs']) mkdirSync(join(dir, sub), { recursive: true });
  for (const f of Object.values(logs)) writeFileSync(f, '');
  stops.push(startPricerLog(logs.app));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  // A line per step before the banner: on a busy machine the floor takes a while to start, and
  // whoever waits (a person, a test) sees it moving rather than a silent terminal.
  const step = (text: string) => process.stdout.write(`starting: ${text}\n`);

  const snpp = await startSnppSink({ host: '127.0.0.1', port: o.snppPort, file: join(dir, 'sinks/pages.jsonl') });
  stops.push(() => snpp.stop());
  const smtp = await startSmtpSink({ host: '127.0.0.1', port: o.smtpPort, file: join(dir, 'sinks/mails.jsonl') });
  stops.push(() => smtp.stop());
  step('pager and mail sinks up; InfluxDB');
  const influx = await demoInflux(o, join(dir, 'influxd'));
  if (influx.influxd) stops.push(() => influx.influxd!.stop());
  const credentials = await makeDemoCredentials(dir);

  const baseConfig = brainConfigText(
    o,
    {
      stateDir: join(dir, 'brain'),
      topology: file('topology.yaml', DEMO_TOPOLOGY),
      schedule: file('oncall.yaml', DEMO_SCHEDULE),
      rules: writeDrillPacedRules(join(dir, 'rules')),
      calendar: writeDemoCalendar(join(dir, 'calendar.yaml')),
      ...(influx.store ? { influx: influx.store } : {}),
    },
    credentials.accessYaml,
  );
  parseBrainConfig(baseConfig, 'demo brain config');
  let brains: DemoBrainPair | undefined;
  stops.push(() => brains?.stop());
  step(`store: ${influx.describe}; the brain pair and its witness`);
  brains = await startDemoBrainPair({ dir, baseConfig, healthPort: o.healthPort, logsDir: join(dir, 'logs'), log });
  const children: ChildProcess[] = [];
  stops.push(() => Promise.all(children.map(stopChild)).then(() => undefined));
  const plantText = plantConfigText(o, join(dir, 'fix-logs'), brains.healthTargets);
  const socket = join(dir, 'agent.sock');
  // Every agent lists both brains: it delivers to the primary and moves on when refused. The
  // workstations' processes start meanwhile too (their own start-up overlaps the election).
  const brainAddress = brains.legs.map((l) => l.grpc);
  const agentsDir = join(dir, 'agents');
  const workstations = spawnWorkstations(WORKSTATIONS, agentsDir, brainAddress, children, log);
  step('workstations; waiting for a primary brain');
  await waitForPrimary(brains);
  step('a primary brain leads; the plant and the server agents');
  // The plant only once a brain leads: becoming primary stalls a brain for seconds on a busy box
  // (its alerting starts), and a plant already sending would then look silent to its first
  // evaluation (PlantPairDown for both pairs at once, seen in the quiet-floor test).
  spawnPlant({ plantConfig: file('plant.yaml', plantText), socket, logsDir: join(dir, 'logs') }, children, log);
  const vip = await startBrainVip({ port: o.httpPort, pair: brains, clock: systemClock });
  stops.push(() => vip.stop());
  const veth = createVeth(String(process.pid));
  if ('remove' in veth) stops.push(() => veth.remove());
  const inProcess: AgentHandle[] = [];
  stops.push(() => Promise.all(inProcess.map((a) => a.stop(2000))).then(() => undefined));
  const startInProcess = async (text: string, what: string) => inProcess.push(await startAgent(parseAgentConfig(text, what), log));

  const plantConfig = parsePlantConfig(plantText, 'demo plant config');
  await startInProcess(
    plantHostAgent(agentsDir, brainAddress, socket, messageLogPath(plantConfig.fix, 'router')),
    'demo plant-host agent config',
  );
  const fixtureRoots = writeFixtureHost(join(dir, 'fixture-host'));
  await startInProcess(fixtureHostAgent(agentsDir, brainAddress, fixtureRoots, logs), 'demo fixture-host agent config');
  if ('remove' in veth) await startInProcess(vethHostAgent(agentsDir, brainAddress, veth.local), 'demo veth agent config');

  const api = `http://127.0.0.1:${o.httpPort}`;
  const pair = brains;
  const demoUrl = `http://127.0.0.1:${o.demoPort}`;
  const layout = (): DemoLayout => ({
    stateDir: dir,
    brainUrl: api,
    demoUrl,
    fixtureHost: { agent: 'srv-ldn-fix', ...fixtureRoots, bond: FIXTURE_BOND, slaves: FIXTURE_SLAVES },
    logs,
    fix: {
      host: plantConfig.host,
      controlPort: plantConfig.fix.control_port,
      session: DEMO_FIX.session,
      logs: { router: messageLogPath(plantConfig.fix, 'router'), venue: messageLogPath(plantConfig.fix, 'venue') },
    },
    ...('remove' in veth ? { veth: { agent: 'srv-ldn-net', netns: veth.netns, local: veth.local, peer: veth.peer } } : {}),
    ...(influx.store ? { influxd: influx.store } : {}),
    workstations,
    brains: {
      vip: api,
      legs: pair.legs.map(({ id, url, grpc, pair: address, stateDir, roleLog, pid }) => ({
        id,
        url,
        grpc,
        pair: address,
        stateDir,
        roleLog,
        ...(pid ? { pid } : {}),
      })),
      witness: { id: pair.witness.id, pair: pair.witness.pair, ...(pair.witness.pid ? { pid: pair.witness.pid } : {}) },
      config: pair.witness.config,
    },
  });
  const http = await startDemoHttp({
    port: o.demoPort,
    layout,
    snpp,
    smtp,
    brains: pair,
    ...(influx.influxd ? { influxd: influx.influxd } : {}),
  });
  stops.push(() => new Promise<void>((r) => http.close(() => r())));
  const veths = 'remove' in veth ? `${veth.local} (peer ${veth.peer} in netns ${veth.netns})` : veth.unavailable;
  process.stdout.write(banner(o, { api, demoUrl, dir, influx: influx.describe, veth: veths, credentials, pair }));
}

function banner(
  o: DemoOptions,
  w: { api: string; demoUrl: string; dir: string; influx: string; veth: string; credentials: DemoCredentials; pair: DemoBrainPair },
): string {
  const brainFlag = o.httpPort === 7080 ? '' : ` --brain ${w.api}`;
  const logins = w.credentials.logins.map((l) => `${l.user} / ${l.password} (${l.role})`).join(',  ');
  return [
    '',
    'floorwatch demo floor is running.',
    `  wall board     ${w.api}/   (the first-line console: incidents, plant pairs, floor colours; follows the primary brain)`,
    `  brain pair     ${w.pair.legs.map((l) => `${l.id} ${l.url}/`).join(',  ')},  ${w.pair.witness.id} udp ${w.pair.witness.pair}`,
    `                 (npx floorwatch brain pair-status -c ${w.pair.witness.config}; logs in ${w.dir}/logs/brain-*.log)`,
    `  sign in        ${logins}`,
    '                 (anyone may watch the board; acknowledging needs an operator: "sign in" at the top right)',
    `  brain API      ${w.api}/api/health   ${w.api}/api/agents   ${w.api}/api/events   ${w.api}/api/incidents`,
    `  plant series   ${w.api}/api/series?measurement=plant&field=primary`,
    `  brain metrics  ${w.api}/metrics`,
    `  incidents      npx floorwatch incidents${brainFlag}     (ack as alice: npx floorwatch ack INC-0001${brainFlag} --token-file ${w.credentials.tokenFile})`,
    `  pages          ${w.demoUrl}/api/demo/pages   (SNPP sink on 127.0.0.1:${o.snppPort}; also ${w.dir}/sinks/pages.jsonl)`,
    `  mails          ${w.demoUrl}/api/demo/mails   (SMTP sink on 127.0.0.1:${o.smtpPort}; also ${w.dir}/sinks/mails.jsonl)`,
    `  on call        alice (first line), bob (back line after ${o.escalateAfterS} s unacknowledged), carol (manager after ${o.escalateAfterS * 2} s)`,
    `  plant          provider, fh-a/fh-b, tp-a/tp-b, desks ws-1/ws-2, FIX venue and order router, each under \`floorwatch run\` (logs in ${w.dir}/logs)`,
    `  FIX session    ${DEMO_FIX.session} (jspurefix), engine logs in ${w.dir}/fix-logs`,
    `  agents         plant-host, 6 workstations (ws-ldn-001..006, red and blue), srv-ldn-fix (fixture bond/memory, drill logs)`,
    `  veth NIC       ${w.veth}`,
    `  time series    ${w.influx}`,
    '  transport      plaintext gRPC on loopback (demo only; see docs/examples for TLS)',
    `  drills         npx floorwatch drill --list; npx floorwatch drill kill-primary-brain${brainFlag}${o.demoPort === 7081 ? '' : ` --demo ${w.demoUrl}`}`,
    '  stop           Ctrl-C',
    '',
  ].join('\n');
}

async function demoInflux(
  o: DemoOptions,
  dataDir: string,
): Promise<{ influxd?: DemoInfluxd; store?: { url: string; db: string }; describe: string }> {
  if (o.influx === 'none') return { describe: `none (--influx none): kept in the brain's local spool` };
  if (o.influx) return { store: { url: o.influx, db: INFLUX_DB }, describe: `InfluxDB at ${o.influx}, database ${INFLUX_DB}` };
  const bin = influxdOnPath();
  if (!bin) return { describe: "no influxd on PATH: kept in the brain's local spool" };
  const influxd = await startDemoInfluxd(bin, dataDir, INFLUX_DB);
  return { influxd, store: { url: influxd.url, db: INFLUX_DB }, describe: `InfluxDB (${bin}) at ${influxd.url}, database ${INFLUX_DB}` };
}
