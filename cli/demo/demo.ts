/**
 * `floorwatch demo`: a whole floor on one machine, on embedded defaults, no InfluxDB needed
 * (used when one answers on 127.0.0.1:8086). The reference plant runs with every component
 * under the process wrapper, reporting to the plant host's agent; the brain watches the plant's
 * heartbeats; six simulated workstations in two checkerboard colours stream too.
 * Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { parseAgentConfig } from '../../agent/config.js';
import { startAgent, type AgentHandle } from '../../agent/main.js';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { createLogger } from '../../lib/log.js';
import { onShutdown } from '../commands/shutdown.js';

const DEMO_DIR = resolve('.floorwatch/demo');
const CLI = resolve(import.meta.dirname, '../floorwatch.js');
const PLANT_COMPONENTS: [string, string[]][] = [
  ['tp-a', ['ticker-plant', '--id', 'tp-a']],
  ['tp-b', ['ticker-plant', '--id', 'tp-b']],
  ['fh-a', ['feed-handler', '--id', 'fh-a']],
  ['fh-b', ['feed-handler', '--id', 'fh-b']],
  ['ws-1', ['subscriber', '--id', 'ws-1']],
  ['ws-2', ['subscriber', '--id', 'ws-2']],
  ['provider', ['provider']],
];

const DEMO_TOPOLOGY = `hosts:
  plant-host: { floor: ldn-1, desk: infra, colour: red, role: plant }
components:
  provider: { kind: provider, host: plant-host }
  fh-a: { kind: feed_handler, host: plant-host, pair: fh, depends_on: [provider] }
  fh-b: { kind: feed_handler, host: plant-host, pair: fh, depends_on: [provider] }
  tp-a: { kind: ticker_plant, host: plant-host, pair: tp, depends_on: [fh-a, fh-b] }
  tp-b: { kind: ticker_plant, host: plant-host, pair: tp, depends_on: [fh-a, fh-b] }
  ws-1: { kind: subscriber, host: plant-host, depends_on: [tp-a, tp-b] }
  ws-2: { kind: subscriber, host: plant-host, depends_on: [tp-a, tp-b] }
`;

export async function runDemo(): Promise<void> {
  const log = createLogger({ name: 'demo', level: process.env['FLOORWATCH_LOG_LEVEL'] ?? 'error' });
  rmSync(DEMO_DIR, { recursive: true, force: true });
  mkdirSync(join(DEMO_DIR, 'logs'), { recursive: true });
  const influx = await influxAnswers('http://127.0.0.1:8086/ping');
  // The whole plant runs on one host here; the topology tells the brain which process is which
  // component and which components form a pair, so one fault is one incident.
  const topology = join(DEMO_DIR, 'topology.yaml');
  writeFileSync(topology, DEMO_TOPOLOGY);
  const brain = await startBrain(
    parseBrainConfig(
      [
        `brain: {id: demo-brain, state_dir: ${DEMO_DIR}/brain}`,
        'listen: 127.0.0.1:0',
        'http: 127.0.0.1:7080',
        'plant: {health_listen: "127.0.0.1:7390"}',
        `topology: ${topology}`,
        influx ? 'store: {kind: influx-v1, url: "http://127.0.0.1:8086", db: floorwatch_demo}' : 'store: {kind: none}',
      ].join('\n'),
      'demo brain config',
    ),
    log,
  );
  const brainAddress = `127.0.0.1:${brain.grpcPort}`;
  const socket = join(DEMO_DIR, 'agent.sock');
  const agents: AgentHandle[] = [];
  agents.push(
    await startAgent(
      parseAgentConfig(
        [
          `agent: {id: plant-host, host: plant-host, state_dir: ${DEMO_DIR}/plant-host, labels: {floor: ldn-1, role: plant}}`,
          `brain: {addresses: ["${brainAddress}"]}`,
          'samplers:',
          '  nic: {}',
          '  memory: {}',
          `  local: {path: ${socket}}`,
          `  log: {files: ["${DEMO_DIR}/logs/*.log"], rules: [{name: errors, action: count, pattern: "(?i)error|fatal"}]}`,
        ].join('\n'),
        'demo plant-host agent config',
      ),
      log,
    ),
  );
  for (let i = 1; i <= 6; i++) {
    const id = `ws-ldn-${String(i).padStart(3, '0')}`;
    agents.push(
      await startAgent(
        parseAgentConfig(
          [
            `agent: {id: ${id}, host: ${id}, state_dir: ${DEMO_DIR}/${id}, labels: {floor: ldn-1, desk: fx-spot, colour: ${i % 2 ? 'red' : 'blue'}, role: workstation}}`,
            `brain: {addresses: ["${brainAddress}"]}`,
            'samplers: {synthetic: {enabled: true, series: 20}}',
          ].join('\n'),
          `demo agent ${id}`,
        ),
        log,
      ),
    );
  }
  const wrapped = PLANT_COMPONENTS.map(([name, args]) => wrap(name, args, socket));
  const api = `http://127.0.0.1:${brain.httpPort}`;
  process.stdout.write(
    [
      '',
      'floorwatch demo floor is running.',
      `  brain API      ${api}/api/health   ${api}/api/agents   ${api}/api/events`,
      `  plant series   ${api}/api/series?measurement=plant&field=primary`,
      `  brain metrics  ${api}/metrics`,
      `  plant          provider, fh-a/fh-b, tp-a/tp-b, desks ws-1/ws-2, each under \`floorwatch run\` (logs in ${DEMO_DIR}/logs)`,
      `  agents         plant-host + ${agents.length - 1} workstations in two checkerboard colours`,
      `  time series    ${influx ? 'InfluxDB at http://127.0.0.1:8086, database floorwatch_demo' : `no InfluxDB found: kept in the brain's local spool (${DEMO_DIR}/brain/spool)`}`,
      '  transport      plaintext gRPC on loopback (demo only; see docs/examples for TLS)',
      '  try            kill -9 the primary feed handler and watch /api/events (plant.role_change)',
      '  stop           Ctrl-C',
      '',
    ].join('\n'),
  );
  onShutdown(async () => {
    await Promise.all(wrapped.map(stopChild));
    await Promise.all(agents.map((a) => a.stop(2000)));
    await brain.stop();
    process.stdout.write('demo stopped; nothing left running.\n');
  });
}

/** One plant component under the process wrapper, reporting to the plant host's agent. */
function wrap(name: string, args: string[], socket: string): ChildProcess {
  return spawn(
    process.execPath,
    [CLI, 'run', '--name', name, '--restart', 'on-failure', '--agent-socket', socket, '--log', join(DEMO_DIR, 'logs', `${name}.log`), '--', process.execPath, CLI, 'plant', ...args],
    { stdio: 'ignore', env: { ...process.env, FLOORWATCH_LOG_LEVEL: 'warn' } },
  );
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    child.once('exit', () => res());
    child.kill('SIGTERM');
  });
}

function influxAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 204);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
