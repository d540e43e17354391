/**
 * The brain's state disk, composed: every store on it (spool, incident journal, outbox,
 * checkpoints, dead-letter file) reports to one StateDisk, which becomes brain events for the
 * rules (`state_disk.full` or `state_disk.failing` when the first store fails, `state_disk.ok`
 * when all of them write again: rules/brain.yaml turns them into the StateDiskFull incident
 * "state disk full on HOST"), log lines, and metrics.
 */
import type { Clock } from '../lib/clock.js';
import { StateDisk, type DiskFault } from '../lib/disk-health.js';
import type { Logger } from '../lib/log.js';
import type { MetricsRegistry } from '../lib/metrics.js';
import type { EventLog } from './state/event-log.js';

export interface StateDiskWatch {
  readonly disk: StateDisk;
  /** Publishes from now on, and now if a store already failed (rules were not listening yet). */
  listen(): void;
}

export function watchStateDisk(o: { clock: Clock; log: Logger; events: EventLog; metrics: MetricsRegistry; host: string }): StateDiskWatch {
  const errors = o.metrics.counter(
    'floorwatch_state_disk_errors_total',
    'Failed state-disk calls (write, fsync, open, rename...), by store and errno code.',
    ['store', 'code'],
  );
  const degraded = o.metrics.gauge(
    'floorwatch_state_disk_degraded',
    '1 while the store cannot make its writes durable (state disk full or failing), by store.',
    ['store'],
  );
  let listening = false;
  const publishFault = (f: DiskFault) =>
    o.events.publish({
      timeUs: o.clock.nowUs(),
      kind: f.full ? 'state_disk.full' : 'state_disk.failing',
      source: 'brain',
      agentId: '',
      tags: { host: o.host },
      attrs: { store: f.store, path: f.path, code: f.code, error: f.message },
      values: {},
      severity: 3,
    });
  const disk = new StateDisk(o.clock, {
    onDegraded: (f) => {
      o.log.error(
        { store: f.store, path: f.path, code: f.code, err: f.message },
        'state disk full or failing: holding changes in memory, refusing what cannot be made durable, retrying',
      );
      if (listening) publishFault(f);
    },
    onRecovered: (ms) => {
      o.log.info({ degraded_ms: ms }, 'state disk writes again: held changes written');
      if (listening) o.events.brainEvent('state_disk.ok', { host: o.host }, { degraded_ms: ms }, 0);
    },
    onStoreChange: (store, failing) => degraded.set(failing ? 1 : 0, { store }),
    onError: (store, code) => errors.inc(1, { store, code }),
  });
  o.metrics.counterFn(
    'floorwatch_state_disk_degraded_seconds_total',
    'Time with at least one store of the state disk failing.',
    () => disk.degradedMs() / 1000,
  );
  return {
    disk,
    listen() {
      listening = true;
      const f = disk.fault;
      if (f) publishFault(f);
    },
  };
}
