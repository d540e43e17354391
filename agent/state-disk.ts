/**
 * The agent's state disk, composed (the brain's twin is brain/state-disk.ts): its stores (the
 * disk queue, the series dictionary) report to one StateDisk, whose changes become events for
 * the brain's rules — `state_disk.full` (ENOSPC, EDQUOT) or `state_disk.failing` (EIO...) when
 * the first store fails, `state_disk.ok` once every store writes again. rules/brain.yaml turns
 * them into the StateDiskFull incident "state disk full on HOST", one per host.
 *
 * They cannot travel in a batch: a batch is sent only once it is in the disk queue, the store
 * that failed. So they go over the stream as the agent's status (AgentStatus in the .proto), sent
 * when it changes and again after every Welcome (a reconnect, another brain of the pair).
 */
import type { Clock } from '../lib/clock.js';
import { StateDisk, type DiskFault } from '../lib/disk-health.js';
import type { Logger } from '../lib/log.js';
import type { IEvent } from '../proto/wire.js';

export interface AgentDiskWatch {
  readonly disk: StateDisk;
  /** Tells the current condition again (at start, once the shipper exists). */
  resend(): void;
}

const MAJOR = 3;

export function watchAgentDisk(o: { clock: Clock; log: Logger; host: string; tell: (events: IEvent[]) => void }): AgentDiskWatch {
  let status: IEvent[] = [];
  const tell = (events: IEvent[]) => {
    status = events;
    o.tell(events);
  };
  const fault = (f: DiskFault): IEvent => ({
    timeUs: o.clock.nowUs(),
    kind: f.full ? 'state_disk.full' : 'state_disk.failing',
    tags: { host: o.host },
    attrs: { store: f.store, path: f.path, code: f.code, error: f.message.slice(0, 200) },
    values: {},
    severity: MAJOR,
  });
  const disk = new StateDisk(o.clock, {
    onDegraded: (f) => {
      o.log.error({ store: f.store, path: f.path, code: f.code, err: f.message }, 'state disk full or failing: telling the brain');
      tell([fault(f)]);
    },
    onRecovered: (ms) => {
      o.log.info({ degraded_ms: ms }, 'state disk writes again: telling the brain');
      tell([
        { timeUs: o.clock.nowUs(), kind: 'state_disk.ok', tags: { host: o.host }, attrs: {}, values: { degraded_ms: ms }, severity: 0 },
      ]);
    },
  });
  return {
    disk,
    resend() {
      if (status.length > 0) o.tell(status);
    },
  };
}
