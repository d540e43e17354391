/**
 * Replays recorded event sequences through the real Correlator and IncidentStore on a
 * FakeClock: the alert events are encoded by the rules' own encoder (brain/rules/alert-event.ts),
 * and the process.exit events as the agent's wrapper sends them. A state-change alert carries the
 * event that fired it: a `fire` of a process's alert carries the nearest `killed` of that process.
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
import type { FiredBy, Severity } from '../../../brain/rules/rule.js';
import type { AlertChange } from '../../../brain/rules/group.js';
import { alertEvent } from '../../../brain/rules/alert-event.js';

/** A process.exit as the wrapper reports it: signal name and number, or the exit code. */
function exitEvent({ signal, code }: { signal?: number; code?: number }): FiredBy {
  return signal
    ? { attrs: { signal: signal === 9 ? 'SIGKILL' : String(signal) }, values: { signal } }
    : { attrs: { exit_code: String(code ?? 1) }, values: { exit_code: code ?? 1 } };
}

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

export function floor(
  opts: Partial<Omit<CorrelatorOptions, 'clock' | 'topology' | 'store'>> = {},
  file?: string,
  clock = new FakeClock(),
): Floor {
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
      const exitOf = (labels: Record<string, string>, at: number) =>
        steps
          .flatMap((k) => ('exit' in k && k.exit.agent === labels['agent'] && k.exit.process === labels['process'] ? [k] : []))
          .sort((a, b) => Math.abs(a.at - at) - Math.abs(b.at - at))[0];
      for (const s of steps) {
        const due = start + s.at - clock.now();
        if (due > 0) clock.advance(due);
        if ('exit' in s) {
          const { agent, process } = s.exit;
          events.publish({
            timeUs: clock.nowUs(),
            kind: 'process.exit',
            source: 'agent',
            agentId: agent,
            tags: { process },
            ...exitEvent(s.exit),
            severity: 2,
          });
        } else {
          const exit = s.alert === 'firing' ? exitOf(s.labels, s.at) : undefined;
          const labels = { ...s.labels, alertname: s.name };
          const firedBy = exit && 'exit' in exit ? exitEvent(exit.exit) : undefined;
          const change: AlertChange = {
            state: s.alert,
            group: 'replay',
            file: 'replay.yaml',
            rule: s.name,
            labels,
            severity: s.severity ?? 'major',
            phase: undefined,
            annotations: {},
            value: 1,
            activeAt: clock.now(),
            firedAt: clock.now(),
            resolvedAt: undefined,
            atMs: clock.now(),
            trigger: 'event',
            muted: s.muted ? { kind: 'maintenance', id: 'replay', author: 'replay', reason: s.muted, until: undefined } : undefined,
            ...(firedBy ? { firedBy } : {}),
          };
          events.publish(alertEvent(change));
        }
      }
    },
    restart: () => floor(opts, journal, clock),
  };
  return f;
}
