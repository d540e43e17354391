/**
 * `floorwatch demo`: a whole floor on one machine, on embedded defaults, no InfluxDB needed
 * (used when one answers on 127.0.0.1:8086). Ctrl-C stops everything it started.
 */
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { parseAgentConfig } from '../../agent/config.js';
import { startAgent, type AgentHandle } from '../../agent/main.js';
import { parseBrainConfig } from '../../brain/config.js';
import { startBrain } from '../../brain/main.js';
import { createLogger } from '../../lib/log.js';
import { onShutdown } from '../commands/shutdown.js';

const DEMO_DIR = '.floorwatch/demo';

export async function runDemo(): Promise<void> {
  const log = createLogger({ name: 'demo', level: process.env['FLOORWATCH_LOG_LEVEL'] ?? 'warn' });
  rmSync(DEMO_DIR, { recursive: true, force: true });
  const influx = await influxAnswers('http://127.0.0.1:8086/ping');
  const brain = await startBrain(
    parseBrainConfig(
      [
        `brain: {id: demo-brain, state_dir: ${DEMO_DIR}/brain}`,
        'listen: 127.0.0.1:0',
        'http: 127.0.0.1:7080',
        influx ? 'store: {kind: influx-v1, url: "http://127.0.0.1:8086", db: floorwatch_demo}' : 'store: {kind: none}',
      ].join('\n'),
      'demo brain config',
    ),
    log,
  );
  const workstations: AgentHandle[] = [];
  const colours = ['red', 'blue'];
  for (let i = 1; i <= 6; i++) {
    const id = `ws-ldn-${String(i).padStart(3, '0')}`;
    const colour = colours[i % 2]!;
    workstations.push(
      await startAgent(
        parseAgentConfig(
          [
            `agent: {id: ${id}, host: ${id}, state_dir: ${DEMO_DIR}/${id}, labels: {floor: ldn-1, desk: fx-spot, colour: ${colour}, role: workstation}}`,
            `brain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}`,
            'samplers: {synthetic: {enabled: true, series: 20}}',
          ].join('\n'),
          `demo agent ${id}`,
        ),
        log,
      ),
    );
  }
  const api = `http://127.0.0.1:${brain.httpPort}`;
  process.stdout.write(
    [
      '',
      'floorwatch demo floor is running.',
      `  brain API      ${api}/api/health   ${api}/api/agents   ${api}/api/events`,
      `  brain metrics  ${api}/metrics`,
      `  agents         ${workstations.map((w) => w.id).join(', ')} (two checkerboard colours)`,
      `  time series    ${influx ? 'InfluxDB at http://127.0.0.1:8086, database floorwatch_demo' : `no InfluxDB found: kept in the brain's local spool (${DEMO_DIR}/brain/spool)`}`,
      '  stop           Ctrl-C',
      '',
    ].join('\n'),
  );
  onShutdown(async () => {
    await Promise.all(workstations.map((w) => w.stop(2000)));
    await brain.stop();
    process.stdout.write('demo stopped; nothing left running.\n');
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
