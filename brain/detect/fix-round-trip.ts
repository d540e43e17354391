/**
 * FixRoundTripSlow: a FIX TestRequest → Heartbeat round trip above its learned baseline, from
 * the log sampler's roundtrip rules (`log_rule rtt_us`, tags rule and file, one sample per
 * completed pair; agent/samplers/log/README.md). The baseline is the median of the last
 * `baseline_samples` normal round trips of that session (agent, log rule, file; the alert's
 * labels agent, host, session = the log rule's name, file); a round trip is
 * slow above max(baseline × factor, floor_us). Until `min_baseline_samples` normal round trips
 * are seen the detector is learning and nothing is slow, so a session that starts slow learns
 * that as its baseline instead of firing. Slow round trips never enter the baseline, so a long
 * slowdown does not become normal. The stage fires after `for_ms` of slowness; one normal round
 * trip clears it.
 */
import { labelsKey, type Labels } from '../../lib/labels.js';
import type { RuleQuery, Severity } from '../rules/rule.js';
import type { FixRoundTripConfig } from './config.js';
import type { Detector, Finding } from './detector.js';
import { median } from './history.js';

export const FIX_SLOW_ALERT = 'FixRoundTripSlow';

const MAX_SESSIONS = 10_000;

interface Session {
  labels: Labels;
  baseline: number[];
  lastAt: number;
  last: number;
  slow: boolean;
  limit: number;
}

export class FixRoundTripSlow implements Detector {
  readonly alertname = FIX_SLOW_ALERT;
  readonly severity: Severity;
  readonly forMs: number;
  readonly #c: FixRoundTripConfig;
  readonly #minBaseline: number;
  readonly #sessions = new Map<string, Session>();
  /** The sample time last seen per series (its labels object is the series' own, kept while it lives). */
  readonly #seenAt = new WeakMap<Labels, number>();
  dropped = 0;

  constructor(config: FixRoundTripConfig) {
    this.#c = config;
    this.severity = config.severity;
    this.forMs = config.for_ms;
    this.#minBaseline = Math.min(config.min_baseline_samples, config.baseline_samples);
  }

  observe(query: RuleQuery, nowMs: number): Finding[] {
    for (const s of [...query.series('log_rule', 'rtt_us'), ...query.series('fix_session', 'rtt_us')]) {
      // Most looks see no new round trip: skip them before building any key.
      if (this.#seenAt.get(s.labels) === s.atMs) continue;
      this.#seenAt.set(s.labels, s.atMs);
      const rule = s.labels['rule'] ?? '';
      if (this.#c.rules.length > 0 && !this.#c.rules.includes(rule)) continue;
      const session = this.#session(s.labels);
      if (session && s.atMs > session.lastAt && Number.isFinite(s.value)) this.#take(session, s.atMs, s.value);
    }
    const out: Finding[] = [];
    for (const [key, s] of this.#sessions) {
      if (nowMs - s.lastAt > this.#c.forget_after_ms) {
        this.#sessions.delete(key);
        continue;
      }
      out.push(this.#finding(s));
    }
    return out;
  }

  #session(labels: Labels): Session | undefined {
    const own: Labels = {
      agent: labels['agent'] ?? '',
      ...(labels['host'] ? { host: labels['host'] } : {}),
      // `session`, not `rule`: an alert event's `rule` tag names what raised it (the detector).
      // A FIX rule's session (fix_session), else the roundtrip log rule's name and its file.
      session: labels['session'] ?? labels['rule'] ?? '',
      ...(labels['session'] ? {} : { file: labels['file'] ?? '' }),
    };
    const key = labelsKey(own);
    let s = this.#sessions.get(key);
    if (!s) {
      if (this.#sessions.size >= MAX_SESSIONS) {
        this.dropped++;
        return undefined;
      }
      s = { labels: own, baseline: [], lastAt: 0, last: NaN, slow: false, limit: NaN };
      this.#sessions.set(key, s);
    }
    return s;
  }

  #take(s: Session, atMs: number, rttUs: number): void {
    s.lastAt = atMs;
    s.last = rttUs;
    const learning = s.baseline.length < this.#minBaseline;
    s.limit = learning ? NaN : Math.max(median(s.baseline) * this.#c.factor, this.#c.floor_us);
    s.slow = !learning && rttUs > s.limit;
    if (s.slow) return;
    s.baseline.push(rttUs);
    if (s.baseline.length > this.#c.baseline_samples) s.baseline.shift();
  }

  #finding(s: Session): Finding {
    const { last, limit } = s;
    return {
      labels: s.labels,
      value: last,
      active: s.slow,
      cleared: !s.slow,
      describe: () => {
        const base = median(s.baseline);
        return {
          summary: `FIX round trip ${s.labels['session']} on ${s.labels['host'] ?? s.labels['agent']}: ${ms(last)} ms against a baseline of ${ms(base)} ms`,
          attrs: {
            rtt_us: String(last),
            baseline_us: String(Math.round(base)),
            limit_us: String(Math.round(limit)),
            baseline_samples: String(s.baseline.length),
          },
        };
      },
    };
  }
}

function ms(us: number): string {
  return (us / 1000).toFixed(1);
}
