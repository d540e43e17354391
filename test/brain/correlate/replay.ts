/**
 * Replays recorded event sequences through the real Correlator and IncidentStore on a
 * FakeClock: the alert events are shaped exactly as brain/main.ts publishes the RuleManager's
 * changes (tags = labels + alertname + rule; attrs = summary, severity, trigger), and the
 * process.exit events as the agent's wrapper sends them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../lib/clock.js';
import { EventLog } from '../../../brain/state/event-log.js';
import { IncidentStore } from '../../../brain/incidents/incident-store.js';
import { Correlator, type CorrelatorOptions } from '../../../brain/correlate/correlator.js';
import { Topology } from '../../../brain/topology/topology.js';
import { loadTopologyFile } from '../../../brain/topology/topology-file.js';
import { severityLevel, type Severity } from '../../../brain/rules/rule.js';

export type Step =
  | { at: number; alert: 'firing' | 'resolved'; name: string; labels: Record<string, string>; severity?: Severity; muted?: string }
  | { at: number; exit: { agent: string; process: string; signal?: number; code?: number } };

export const fire = (at: number, name: string, labels: Record<string, string>, severity: Severity = 'major', muted?: string): Step => ({
  at,
  alert: 'firing',
  name,
  labels,
  severity,
  ...(muted ? { muted } : {}),
});
export const clear = (at: number, name: string, labels: Record<string, string>): Step => ({ at, alert: 'resolved', name, labels });
export const killed = (at: number, agent: string, process: string, signal = 9): Step => ({ at, exit: { agent, process, signal } });

/** The labels the packaged rules give each alert (rules/*.yaml `by:`). */
export const L = {
  proc: (host: string, process: string) => ({ agent: host, host, process }),
  plant: (component: string, kind: string, pair: string) => ({ component, kind, pair }),
  nic: (host: string, iface: string) => ({ agent: host, host, interface: iface }),
  agent: (agent: string) => ({ agent }),
};

export interface Floor {
  clock: FakeClock;
  events: EventLog;
  topo: Topology;
  store: IncidentStore;
  corr: Correlator;
  file: string;
  replay(steps: readonly Step[]): void;
  /** A brain restart after SIGKILL: new objects over the same journal, the old ones dropped unclosed. */
  restart(): Floor;
}

export function floor(opts: Partial<Omit<CorrelatorOptions, 'clock' | 'topology' | 'store'>> = {}, file?: string, clock = new FakeClock()): Floor {
  const journal = file ?? join(mkdtempSync(join(tmpdir(), 'fw-incidents-')), 'incidents.jsonl');
  const start = clock.now();
  const topo = new Topology(loadTopologyFile('docs/examples/topology.yaml'));
  // Twenty trader workstations on the checkerboard, announced by their agents.
  for (let i = 1; i <= 10; i++) {
    for (const colour of ['red', 'blue']) {
      const id = `ws-${colour}-${String(i).padStart(2, '0')}`;
      topo.announce({ id, host: id, labels: { colour, desk: `fx-${i}`, role: 'workstation', floor: 'ldn-3' } });
    }
  }
  const events = new EventLog({ clock });
  const store = new IncidentStore({ file: journal, clock });
  const corr = new Correlator({ clock, topology: topo, store, ...opts });
  corr.attach(events);
  const f: Floor = {
    clock,
    events,
    topo,
    store,
    corr,
    file: journal,
    replay(steps) {
      for (const s of steps) {
        const due = start + s.at - clock.now();
        if (due > 0) clock.advance(due);
        if ('exit' in s) {
          const { agent, process, signal, code } = s.exit;
          events.publish({
            timeUs: clock.nowUs(),
            kind: 'process.exit',
            source: 'agent',
            agentId: agent,
            tags: { process },
            attrs: signal ? { signal: signal === 9 ? 'SIGKILL' : String(signal) } : { exit_code: String(code ?? 1) },
            values: signal ? { signal } : { exit_code: code ?? 1 },
            severity: 2,
          });
        } else {
          const sev = s.severity ?? 'major';
          events.publish({
            timeUs: clock.nowUs(),
            kind: `alert.${s.alert}`,
            source: 'brain',
            agentId: s.labels['agent'] ?? '',
            tags: { ...s.labels, alertname: s.name, rule: s.name },
            attrs: { severity: sev, trigger: 'event', ...(s.muted ? { muted: s.muted } : {}) },
            values: { value: 1 },
            severity: severityLevel[sev],
          });
        }
      }
    },
    restart: () => floor(opts, journal, clock),
  };
  return f;
}
