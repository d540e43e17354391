/**
 * The incidents, kept in a durable journal: every change writes the incident's new snapshot
 * before it is visible (fdatasync'd soon after, off the event loop: journal.ts), and a restart
 * replays the journal, so after a brain SIGKILL
 * the incidents, their timelines and their acks are as they were. The correlator creates and
 * changes incidents here; the API and the paging half read them and add timeline entries.
 */
import type { Clock } from '../../lib/clock.js';
import type { DiskHealth } from '../../lib/disk-health.js';
import type { StateFs } from '../../lib/state-files.js';
import { pushTimeline, type Incident, type TimelineEntry } from './incident.js';
import { Journal } from './journal.js';
import { incidentReport } from './report.js';

export interface IncidentStoreOptions {
  /** The journal file (e.g. `<data>/incidents.jsonl`). */
  readonly file: string;
  readonly clock: Clock;
  /** Resolved incidents beyond this many are dropped from memory and the journal (oldest first). */
  readonly maxResolved?: number;
  /** The journal's disk health (a full disk holds changes in memory until it can rewrite). */
  readonly health?: DiskHealth;
  readonly fs?: StateFs;
  /** Told every journal record (one line of JSON) as it is made (a brain pair replicates it). */
  readonly onRecord?: (line: string) => void;
}

export type IncidentChange = 'opened' | 'updated' | 'merged' | 'resolved';
export type IncidentListener = (inc: Incident, change: IncidentChange) => void;

interface JournalRecord {
  v: 1;
  incident: Incident;
}

/** What the correlator decides about a new incident; the store assigns the rest. */
export type NewIncident = Pick<Incident, 'severity' | 'title' | 'causeKeys' | 'roots' | 'symptoms' | 'impact'>;

export class IncidentStore {
  readonly #journal: Journal<JournalRecord>;
  readonly #clock: Clock;
  readonly #maxResolved: number;
  readonly #incidents = new Map<string, Incident>();
  readonly #listeners = new Set<IncidentListener>();
  readonly #onRecord: ((line: string) => void) | undefined;
  #nextSeq = 1;
  /** What the last replay found: torn bytes cut, bad lines skipped. */
  readonly recovered: { incidents: number; tornBytes: number; badLines: number };
  droppedResolved = 0;
  #resolvedCount = 0;

  constructor(opts: IncidentStoreOptions) {
    this.#clock = opts.clock;
    this.#onRecord = opts.onRecord;
    this.#maxResolved = opts.maxResolved ?? 5_000;
    this.#journal = new Journal<JournalRecord>(opts.file, {
      snapshot: () => this.#records(),
      ...(opts.health ? { health: opts.health } : {}),
      ...(opts.fs ? { fs: opts.fs } : {}),
    });
    const r = this.#journal.replay();
    for (const rec of r.records) if (rec?.v === 1 && rec.incident?.id) this.#incidents.set(rec.incident.id, rec.incident);
    for (const id of this.#incidents.keys()) this.#nextSeq = Math.max(this.#nextSeq, Number(id.replace(/^INC-/, '')) + 1 || 1);
    this.recovered = { incidents: this.#incidents.size, tornBytes: r.tornBytes, badLines: r.badLines };
    for (const inc of this.#incidents.values()) if (inc.status === 'resolved') this.#resolvedCount++;
    // One snapshot per incident: the journal does not grow across restarts.
    if (r.records.length > this.#incidents.size || r.tornBytes > 0 || r.badLines > 0) this.#compact();
  }

  /** The journal's disk health (failing: changes are held in memory until the disk takes them). */
  get health(): DiskHealth {
    return this.#journal.health;
  }

  /**
   * Called after every change is journaled (the paging half pages on 'opened'); while the disk
   * fails, after it is made in memory: paging must not wait for the disk.
   */
  subscribe(fn: IncidentListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  get(id: string): Incident | undefined {
    return this.#incidents.get(id);
  }

  /** Newest first; merged incidents (re-parented into another) only when asked for. */
  list(filter: { status?: Incident['status'] | 'active'; includeMerged?: boolean } = {}): Incident[] {
    return [...this.#incidents.values()]
      .filter((i) => filter.includeMerged || i.mergedInto === undefined)
      .filter((i) => !filter.status || (filter.status === 'active' ? i.status !== 'resolved' : i.status === filter.status))
      .sort((a, b) => b.openedAt - a.openedAt || b.id.localeCompare(a.id));
  }

  open(init: NewIncident): Incident {
    const at = this.#clock.now();
    const id = `INC-${String(this.#nextSeq++).padStart(4, '0')}`;
    const inc: Incident = { id, status: 'open', openedAt: at, timeline: [], timelineDropped: 0, ...init };
    pushTimeline(inc, { at, kind: 'opened', text: `opened: ${init.title} (${init.severity})` });
    this.#persist(inc, 'opened');
    return inc;
  }

  /** Changes an incident and journals its new snapshot before anyone is told. */
  change(id: string, fn: (inc: Incident) => void, what: IncidentChange = 'updated'): Incident | undefined {
    const inc = this.#incidents.get(id);
    if (!inc) return undefined;
    fn(inc);
    this.#persist(inc, what);
    return inc;
  }

  /** The paging half's hook: "page sent to X", "page suppressed: silence". */
  addTimeline(id: string, entry: Omit<TimelineEntry, 'at'> & { at?: number }): Incident | undefined {
    return this.change(id, (inc) => pushTimeline(inc, { ...entry, at: entry.at ?? this.#clock.now() }));
  }

  ack(id: string, by: string, note?: string): Incident | undefined {
    return this.change(id, (inc) => {
      const at = this.#clock.now();
      if (inc.status === 'open') inc.status = 'acknowledged';
      inc.ackedAt ??= at;
      inc.ackedBy ??= by;
      pushTimeline(inc, { at, kind: 'ack', by, text: note ? `acknowledged: ${note}` : 'acknowledged' });
    });
  }

  /** Notes are internal unless `forClients`: then client status mails carry them too. */
  note(id: string, by: string, text: string, forClients = false): Incident | undefined {
    return this.change(id, (inc) =>
      pushTimeline(inc, { at: this.#clock.now(), kind: 'note', by, text, ...(forClients ? { forClients: true as const } : {}) }),
    );
  }

  /** Suppresses pages for the incident (until `untilMs`, or its end); the incident is still recorded. */
  silence(id: string, by: string, reason: string, untilMs?: number): Incident | undefined {
    return this.change(id, (inc) => {
      const at = this.#clock.now();
      inc.silence = { by, reason, at, ...(untilMs !== undefined ? { untilMs } : {}) };
      const until = untilMs !== undefined ? ` until ${new Date(untilMs).toISOString()}` : '';
      pushTimeline(inc, { at, kind: 'silence', by, text: `pages silenced${until}: ${reason}` });
    });
  }

  /** Resolves and writes the incident report (markdown) into the incident. */
  /** `by`: the person who resolved it by hand (the correlator resolves with no one named). */
  resolve(id: string, why: string, by?: string): Incident | undefined {
    const inc = this.#incidents.get(id);
    if (!inc || inc.status === 'resolved') return inc;
    return this.change(
      id,
      (i) => {
        const at = this.#clock.now();
        i.status = 'resolved';
        i.resolvedAt = at;
        pushTimeline(i, { at, kind: 'resolved', text: `resolved: ${why}`, ...(by !== undefined ? { by } : {}) });
        i.report = incidentReport(i);
      },
      'resolved',
    );
  }

  /** Stops writing; the journal is already durable, so dropping the store without this loses nothing. */
  close(): void {
    this.#journal.close();
  }

  /** Every incident as journal lines (a pair's secondary starts from these). */
  snapshotLines(): string[] {
    return this.#records().map((r) => JSON.stringify(r));
  }

  #persist(inc: Incident, what: IncidentChange): void {
    const record: JournalRecord = { v: 1, incident: inc };
    this.#onRecord?.(JSON.stringify(record));
    this.#journal.append(record);
    this.#incidents.set(inc.id, inc);
    if (what === 'resolved') this.#evictResolved();
    // Snapshots accumulate; rewrite to one line per incident now and then (bounded file).
    if (this.#journal.appended > 10_000) this.#compact();
    for (const fn of this.#listeners) {
      try {
        fn(inc, what);
      } catch {
        // a failing listener must not undo or stop a durable change
      }
    }
  }

  /**
   * Keeps at most maxResolved resolved incidents. Evicts a tenth at a time, oldest resolved first:
   * one sort and one journal rewrite per maxResolved/10 resolves. Done on every resolve, an alert
   * storm's thousands of resolves each sorted every incident and rewrote the journal.
   */
  #evictResolved(): void {
    if (++this.#resolvedCount <= this.#maxResolved) return;
    const resolved = [...this.#incidents.values()]
      .filter((i) => i.status === 'resolved')
      .sort((a, b) => (a.resolvedAt ?? 0) - (b.resolvedAt ?? 0));
    const excess = resolved.length - Math.floor(this.#maxResolved * 0.9);
    for (const i of resolved.slice(0, excess)) this.#incidents.delete(i.id);
    this.#resolvedCount = resolved.length - excess;
    this.droppedResolved += excess;
    this.#compact();
  }

  #compact(): void {
    this.#journal.compact(this.#records());
  }

  #records(): JournalRecord[] {
    return [...this.#incidents.values()].map((incident) => ({ v: 1 as const, incident }));
  }
}
