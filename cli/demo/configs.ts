/**
 * The demo's embedded configuration: brain, on-call schedule, plant and agents, as the YAML a
 * real floor would write (so it goes through the same validation).
 */
import { join } from 'node:path';
import type { DemoOptions } from './options.js';

export const DEMO_TOPOLOGY = `hosts:
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

/** Three demo people, one per tier, on call around the clock; pager ids are the SNPP sink's. */
export const DEMO_SCHEDULE = `people:
  alice: { name: Alice (first line), pager: alice, email: alice@demo.floorwatch, timeZone: Europe/London }
  bob: { name: Bob (back line), pager: bob, email: bob@demo.floorwatch, timeZone: Europe/London }
  carol: { name: Carol (support manager), pager: carol, email: carol@demo.floorwatch, timeZone: Europe/London }
rotations:
  - { name: demo-first-line, tier: first-line, timeZone: UTC, start: "00:00", end: "24:00", people: [alice] }
  - { name: demo-back-line, tier: back-line, timeZone: UTC, start: "00:00", end: "24:00", people: [bob] }
  - { name: demo-manager, tier: support-manager, timeZone: UTC, start: "00:00", end: "24:00", people: [carol] }
`;

export function brainConfigText(
  o: DemoOptions,
  files: { stateDir: string; topology: string; schedule: string; rules: string; calendar: string; influx?: { url: string; db: string } },
  accessYaml: string,
): string {
  return [
    accessYaml,
    `brain: {id: demo-brain, state_dir: ${files.stateDir}}`,
    'listen: 127.0.0.1:0',
    `http: 127.0.0.1:${o.httpPort}`,
    `plant: {health_listen: "127.0.0.1:${o.healthPort}"}`,
    `topology: ${files.topology}`,
    `rules: {dir: ${files.rules}, calendar: ${files.calendar}}`,
    files.influx
      ? `store: {kind: influx-v1, url: "${files.influx.url}", db: ${files.influx.db}, self_metrics_every_ms: 2000}`
      : 'store: {kind: none}',
    'paging:',
    `  schedule: ${files.schedule}`,
    `  console_url: http://127.0.0.1:${o.httpPort}`,
    '  escalation:',
    `    steps: [{tier: first-line, after_s: 0}, {tier: back-line, after_s: ${o.escalateAfterS}}, {tier: support-manager, after_s: ${o.escalateAfterS * 2}}]`,
    '    max_repeats: 0',
    '  retry: {fallback_after_s: 5, initial_backoff_ms: 200}',
    `  snpp: {host: 127.0.0.1, port: ${o.snppPort}, hylafax_queue: false, max_length: 160}`,
    `  email: {host: 127.0.0.1, port: ${o.smtpPort}, from: floorwatch@demo.floorwatch, ignore_tls: true}`,
  ].join('\n');
}

/** The brain addresses an agent lists (the demo's pair: both; it delivers to the primary). */
type Brains = string | readonly string[];
const addresses = (b: Brains) => JSON.stringify([b].flat());

/** The demo's FIX session: our order router's CompID and the session as the FIX rule names it. */
export const DEMO_FIX = { local: 'FLOOR-OMS', session: 'FLOOR-OMS/VENUE-GW', heartbeatS: 5 } as const;

/** `healthTargets`: where the plant's health heartbeats go (each brain of the demo's pair); default the --health-port. */
export function plantConfigText(
  o: DemoOptions,
  fixLogDir: string,
  healthTargets: readonly string[] = [`127.0.0.1:${o.healthPort}`],
): string {
  const p = (offset: number) => o.plantPortBase + offset;
  return `health: {targets: [${healthTargets.map((h) => `"${h}"`).join(', ')}]}
fix: {port: ${p(40)}, control_port: ${p(41)}, heartbeat_s: ${DEMO_FIX.heartbeatS}, orders_per_s: 5, test_request_ms: 1000, log_dir: "${fixLogDir}"}
provider:
  control_port: ${p(0)}
  lines: [{name: a, port: ${p(1)}, to: fh-a}, {name: b, port: ${p(2)}, to: fh-b}]
# 200 ms of silence before a takeover (default 100 ms): the demo shares a small box with its own
# twenty processes, and a start-up stall is not a fail-over worth an incident.
pairing: {missed_heartbeats: 8}
feed_handlers: {members: [{id: fh-a, rank: 0, port: ${p(10)}}, {id: fh-b, rank: 1, port: ${p(11)}}]}
ticker_plants: {members: [{id: tp-a, rank: 0, port: ${p(20)}}, {id: tp-b, rank: 1, port: ${p(21)}}]}
subscribers: [{id: ws-1, port: ${p(31)}, symbols: ["*"]}, {id: ws-2, port: ${p(32)}, symbols: ["*"]}]
`;
}

export function plantHostAgent(dir: string, brain: Brains, socket: string, fixRouterLog: string): string {
  return [
    `agent: {id: plant-host, host: plant-host, state_dir: ${join(dir, 'plant-host')}, labels: {floor: ldn-1, desk: infra, role: plant}}`,
    `brain: {addresses: ${addresses(brain)}}`,
    'samplers:',
    // The physical NICs only: on a shared dev box other tests' veths come and go all day.
    '  nic: {include: ["eth*", "en*", "bond*"]}',
    '  memory: {}',
    `  local: {path: ${socket}}`,
    // The floor watches its own side of the FIX session: the order router's engine log.
    '  log:',
    `    files: ["${fixRouterLog}"]`,
    '    startAt: beginning',
    `    rules: [{name: fix, action: fix, localCompIds: [${DEMO_FIX.local}], defaultHeartBtIntS: ${DEMO_FIX.heartbeatS}}]`,
  ].join('\n');
}

export function workstationAgent(dir: string, brain: Brains, id: string, colour: string): string {
  return [
    `agent: {id: ${id}, host: ${id}, state_dir: ${join(dir, id)}, labels: {floor: ldn-1, desk: fx-spot, colour: ${colour}, role: workstation}}`,
    `brain: {addresses: ${addresses(brain)}}`,
    'samplers: {synthetic: {enabled: true, series: 20}}',
  ].join('\n');
}

/** The fixture host: bond and memory from the demo's fixture trees, the drills' application log. */
export function fixtureHostAgent(dir: string, brain: Brains, roots: { procRoot: string; sysRoot: string }, logs: { app: string }): string {
  return [
    `agent: {id: srv-ldn-fix, host: srv-ldn-fix, state_dir: ${join(dir, 'srv-ldn-fix')}, labels: {floor: ldn-1, desk: infra, role: server}}`,
    `brain: {addresses: ${addresses(brain)}}`,
    `proc_root: ${roots.procRoot}`,
    `sys_root: ${roots.sysRoot}`,
    'samplers:',
    '  nic: {include: [bond0], link_watch: poll}',
    '  memory: {interval_ms: 250}',
    '  log:',
    `    files: ["${logs.app}"]`,
    '    rules:',
    '      - {name: errors, action: count, pattern: "\\\\[(?P<level>ERROR|FATAL)\\\\]", tags: [level]}',
    `      - {name: pricer_latency, action: metric, files: ["${logs.app}"], pattern: "latency_us=(?P<latency_us>\\\\d+)"}`,
    // A FATAL line is also an event of its own: the wall board's host detail lists it with the line.
    '      - {name: fatal, action: event, pattern: "\\\\[FATAL\\\\] (?P<message>.+)", severity: 3}',
  ].join('\n');
}

/** The veth workstation: watches only the near end of the demo's veth pair. */
export function vethHostAgent(dir: string, brain: Brains, nic: string): string {
  return [
    `agent: {id: srv-ldn-net, host: srv-ldn-net, state_dir: ${join(dir, 'srv-ldn-net')}, labels: {floor: ldn-1, desk: infra, role: server}}`,
    `brain: {addresses: ${addresses(brain)}}`,
    `samplers: {nic: {include: [${nic}]}}`,
  ].join('\n');
}
