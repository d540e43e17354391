/**
 * The trading day's two mails to a configured list: the BOD notice ("system ready" / "not
 * ready: fh-b, tp-a", from the readiness check's result) and the EOD summary (the day's
 * incidents: opened, acknowledged, resolved, durations, pages sent) when the market's EOD phase
 * begins. Each is keyed by market and local date (`BOD-LDN-2026-11-23`), so a brain restart
 * never mails a day twice; the EOD timer never fires retroactively (started after EOD: tomorrow).
 */
import type { Clock, Timer } from '../../lib/clock.js';
import type { MarketCalendar } from '../calendar/calendar-file.js';
import { nextDeadline } from '../calendar/readiness.js';
import { zonedInstant } from '../calendar/zoned-time.js';
import { isoMinute } from '../channels/wall-time.js';
import type { Incident } from '../incidents/incident.js';
import type { Notification, Recipient } from '../channels/notification.js';

export const DAY_NOTICES_ROUTE = 'day-notices';

export interface BodResult {
  readonly market: string;
  readonly date: string;
  readonly deadlineMs: number;
  readonly missing: readonly string[];
  readonly message: string;
}

export interface DayNoticesOptions {
  readonly clock: Clock;
  readonly market: MarketCalendar;
  readonly to: readonly Recipient[];
  /** Every incident the store still holds (the summary picks the day's). */
  readonly incidents: () => readonly Incident[];
  readonly deliver: (n: Notification) => void;
  readonly consoleUrl?: string;
}

export class DayNotices {
  readonly #o: DayNoticesOptions;
  #eodTimer: Timer | undefined;

  constructor(o: DayNoticesOptions) {
    this.#o = o;
  }

  bod(r: BodResult): void {
    if (r.market !== this.#o.market.name) return;
    const n = {
      ...this.#base(`BOD-${r.market}-${r.date}`, r.deadlineMs, 'bod'),
      severity: r.missing.length === 0 ? 4 : 2,
      what: r.message,
    } as const;
    this.#send({
      ...n,
      details: r.missing.length === 0 ? ['Every BOD component is up.'] : r.missing.map((c) => `not up at the deadline: ${c}`),
    });
  }

  /** Schedules the next EOD summary (and, from each one, the one after). */
  startEod(): void {
    const m = this.#o.market;
    const next = nextDeadline(m, m.eod, this.#o.clock.now());
    if (!next) return;
    this.#eodTimer = this.#o.clock.setTimeout(() => {
      this.#eod(next.date, next.at);
      this.startEod();
    }, next.at - this.#o.clock.now());
  }

  stop(): void {
    this.#eodTimer?.cancel();
  }

  #eod(date: string, at: number): void {
    const m = this.#o.market;
    const summary = eodSummary(this.#o.incidents(), zonedInstant(m.timeZone, date, 0), at);
    const open = summary.stillOpen;
    this.#send({
      ...this.#base(`EOD-${m.name}-${date}`, at, 'eod'),
      severity: open > 0 ? 2 : 4,
      what: summary.headline,
      details: summary.lines,
    });
  }

  #base(id: string, when: number, kind: 'bod' | 'eod'): Omit<Notification, 'recipient' | 'severity' | 'what'> {
    return {
      incidentId: id,
      where: this.#o.market.name,
      when,
      phase: kind,
      escalationStep: 0,
      kind,
      links: this.#o.consoleUrl ? [{ label: 'console', url: `${this.#o.consoleUrl}/incidents` }] : [],
      timeline: [],
      route: DAY_NOTICES_ROUTE,
    };
  }

  #send(n: Omit<Notification, 'recipient'>): void {
    for (const recipient of this.#o.to) this.#o.deliver({ ...n, recipient });
  }
}

export interface EodSummary {
  readonly headline: string;
  readonly lines: readonly string[];
  readonly stillOpen: number;
}

/** The day's incidents: opened in [dayStart, at), or opened earlier and still active at `at`. Pure. */
export function eodSummary(all: readonly Incident[], dayStart: number, at: number): EodSummary {
  const day = all
    .filter((i) => !i.mergedInto && i.openedAt < at && (i.openedAt >= dayStart || i.resolvedAt === undefined || i.resolvedAt >= dayStart))
    .sort((a, b) => a.openedAt - b.openedAt);
  const acked = day.filter((i) => i.ackedAt !== undefined && i.ackedAt < at);
  const resolved = day.filter((i) => i.resolvedAt !== undefined && i.resolvedAt < at);
  const pages = day.reduce((sum, i) => sum + pagesSent(i), 0);
  const stillOpen = day.length - resolved.length;
  const headline = `${day.length} incident${day.length === 1 ? '' : 's'}, ${stillOpen} still open`;
  const lines = [
    `opened ${day.length}, acknowledged ${acked.length}, resolved ${resolved.length}, still open ${stillOpen}, pages sent ${pages}`,
    ...day.map((i) => incidentLine(i, at)),
  ];
  return { headline, lines, stillOpen };
}

function incidentLine(i: Incident, at: number): string {
  const parts = [`${i.id} ${i.severity} "${i.title}" opened ${isoMinute(i.openedAt)}`];
  if (i.ackedAt !== undefined && i.ackedAt < at)
    parts.push(`acknowledged after ${duration(i.ackedAt - i.openedAt)}${i.ackedBy ? ` by ${i.ackedBy}` : ''}`);
  parts.push(
    i.resolvedAt !== undefined && i.resolvedAt < at
      ? `resolved after ${duration(i.resolvedAt - i.openedAt)}`
      : `open for ${duration(at - i.openedAt)}`,
  );
  parts.push(`pages sent ${pagesSent(i)}`);
  return parts.join(', ');
}

/** Pages the timeline records as delivered ("delivered by snpp (INC-0001/0/page/alice)"), by pager or fallback mail. */
function pagesSent(i: Incident): number {
  return i.timeline.filter((e) => e.kind === 'page' && /^delivered by \S+ \([^)]*\/page\//.test(e.text)).length;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
