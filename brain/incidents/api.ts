/**
 * The incidents API, independent of HTTP: the brain's HTTP API and the CLI (`floorwatch
 * incidents`, `ack ID`, `note ID ...`, `silence ...`) call these. Unknown ids and changes to a
 * resolved incident are errors with stable codes, matched on `code`.
 */
import type { Clock } from '../../lib/clock.js';
import type { ErrorCode } from '../../lib/errors.js';
import { firstPageMute } from './page-mute.js';
import { type Incident, type IncidentStatus, type Severity } from './incident.js';
import type { IncidentStore } from './incident-store.js';
import { incidentReport } from './report.js';

export type IncidentErrorCode = Extract<ErrorCode, `FW_ERR_INCIDENT_${string}`>;

const LIST_STATUSES = ['active', 'all', 'open', 'acknowledged', 'resolved'];

export class IncidentError extends Error {
  readonly code: IncidentErrorCode;
  /** The HTTP status the API maps it to. */
  readonly http: number;
  constructor(code: IncidentErrorCode, detail: string) {
    super(detail);
    this.code = code;
    this.http = code === 'FW_ERR_INCIDENT_NOT_FOUND' ? 404 : code === 'FW_ERR_INCIDENT_RESOLVED' ? 409 : 400;
    this.name = 'IncidentError';
  }
}

/** One line of `floorwatch incidents`. */
export interface IncidentSummary {
  id: string;
  status: IncidentStatus;
  severity: Severity;
  title: string;
  openedAt: number;
  resolvedAt: number | undefined;
  ackedBy: string | undefined;
  symptoms: number;
  pagesSuppressed: string | undefined;
}

export class IncidentApi {
  readonly #store: IncidentStore;
  readonly #clock: Clock;

  readonly #resolveByHand: ((id: string, by: string, reason: string) => Incident | undefined) | undefined;

  /** `resolveByHand`: the correlator's, which also stops tracking the incident's alerts. */
  constructor(opts: {
    store: IncidentStore;
    clock: Clock;
    resolveByHand?: (id: string, by: string, reason: string) => Incident | undefined;
  }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#resolveByHand = opts.resolveByHand;
  }

  /** `status` is active (not resolved, the default), all, or one status; anything else is refused. */
  list(filter: { status?: string; limit?: number } = {}): IncidentSummary[] {
    const now = this.#clock.now();
    const status = filter.status ?? 'active';
    if (!LIST_STATUSES.includes(status)) {
      throw new IncidentError('FW_ERR_INCIDENT_BAD_REQUEST', `status must be one of ${LIST_STATUSES.join(', ')} (got "${status}")`);
    }
    const limit = filter.limit ?? 200;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new IncidentError('FW_ERR_INCIDENT_BAD_REQUEST', `limit must be a positive integer (got ${filter.limit})`);
    }
    return this.#store
      .list(status === 'all' ? {} : { status: status as IncidentStatus | 'active' })
      .slice(0, limit)
      .map((i) => ({
        id: i.id,
        status: i.status,
        severity: i.severity,
        title: i.title,
        openedAt: i.openedAt,
        resolvedAt: i.resolvedAt,
        ackedBy: i.ackedBy,
        symptoms: i.symptoms.length,
        pagesSuppressed: firstPageMute(i, now)?.text,
      }));
  }

  get(id: string): Incident {
    const inc = this.#store.get(id);
    if (!inc) throw new IncidentError('FW_ERR_INCIDENT_NOT_FOUND', `no incident ${JSON.stringify(id)}`);
    return inc;
  }

  ack(id: string, by: string, note?: string): Incident {
    this.#active(id);
    need(by, 'by');
    return this.#store.ack(id, by, note) ?? this.get(id);
  }

  note(id: string, by: string, text: string, forClients = false): Incident {
    this.get(id);
    need(by, 'by');
    need(text, 'text');
    return this.#store.note(id, by, text, forClients) ?? this.get(id);
  }

  silence(id: string, by: string, reason: string, untilMs?: number): Incident {
    this.#active(id);
    need(by, 'by');
    need(reason, 'reason');
    if (untilMs !== undefined && !(untilMs > this.#clock.now()))
      throw new IncidentError('FW_ERR_INCIDENT_BAD_REQUEST', 'until must be in the future');
    return this.#store.silence(id, by, reason, untilMs) ?? this.get(id);
  }

  /** Closes an open or acknowledged incident by hand: an operator's judgement that it is over. */
  resolve(id: string, by: string, reason: string): Incident {
    this.#active(id);
    need(by, 'by');
    need(reason, 'reason');
    return (this.#resolveByHand ? this.#resolveByHand(id, by, reason) : this.#store.resolve(id, `by hand: ${reason}`, by)) ?? this.get(id);
  }

  /** The markdown report: the stored one once resolved, rendered now while open. */
  report(id: string): string {
    const inc = this.get(id);
    return inc.report ?? incidentReport(inc, this.#clock.now());
  }

  #active(id: string): Incident {
    const inc = this.get(id);
    if (inc.status === 'resolved') throw new IncidentError('FW_ERR_INCIDENT_RESOLVED', `${id} is resolved`);
    return inc;
  }
}

function need(v: string, field: string): void {
  if (typeof v !== 'string' || v.trim() === '') throw new IncidentError('FW_ERR_INCIDENT_BAD_REQUEST', `${field} is required`);
}
