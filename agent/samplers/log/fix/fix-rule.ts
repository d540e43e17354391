/**
 * `action: fix` — a packaged log rule that reads a FIX engine's message log as FIX, not as text:
 * session state, heartbeats, TestRequest round trips and counts per session (fix-sessions.ts).
 * It runs inside the log sampler, so it inherits the tailer's rotation handling and its
 * exactly-once offsets, and shares one read of a file with the generic rules on it.
 *
 * Emits (agent/samplers/log/README.md, "FIX sessions"): measurement `fix_session` (tags rule,
 * session) gauges logged_on, heartbeat_late, silence_ms, heartbeat_interval_s, rtt_us and
 * counters; measurement `fix_messages` (tags rule, session, msg_type, msg_name, direction)
 * counter `count`; events `fix.session` and `fix.heartbeat` on every change.
 */
import type { Emit, Tags } from '../../../sampler.js';
import type { RuleConfig } from '../config.js';
import type { LineBatch } from '../lines.js';
import type { RuleEnv } from '../log-rule.js';
import { SeriesCounts } from '../series.js';
import { fixStart, msgTypeName, parseFixLine } from './fix-line.js';
import { FixSessions, type FixSession } from './fix-sessions.js';

export const FIX_SESSION = 'fix_session';
export const FIX_MESSAGES = 'fix_messages';

/** The work of a `fix` rule; `LogRule` subclass `FixRule` (log-rule.ts) hands it every batch and poll. */
export class FixSessionReader {
  readonly name: string;
  readonly #config: RuleConfig;
  readonly #env: RuleEnv;
  readonly #sessions: FixSessions;
  readonly #byType: SeriesCounts;
  #emit: Emit | undefined;
  #lines = 0;
  #unparsed = 0;

  constructor(config: RuleConfig, env: RuleEnv) {
    this.name = config.name;
    this.#config = config;
    this.#env = env;
    this.#byType = new SeriesCounts(config.maxSeries);
    this.#sessions = new FixSessions(
      {
        localCompIds: config.localCompIds,
        defaultHeartBtIntS: config.defaultHeartBtIntS,
        heartbeatToleranceMs: config.heartbeatToleranceMs,
        maxSessions: config.maxSeries,
        maxPending: config.maxPending,
        timeoutMs: config.timeoutMs,
      },
      {
        state: (s, reason) => {
          this.#gauges(s);
          this.#emit?.event('fix.session', {
            tags: this.#tags(s),
            attrs: { state: s.state, reason },
            severity: s.state === 'down' ? 3 : 0,
          });
        },
        heartbeat: (s, late, silentMs) => {
          this.#emit?.gauge(FIX_SESSION, 'heartbeat_late', late ? 1 : 0, this.#tags(s));
          const attrs = { state: late ? 'late' : 'ok', heartbeat_interval_s: String(s.heartBtIntS) };
          this.#emit?.event('fix.heartbeat', { tags: this.#tags(s), attrs, values: { silence_ms: silentMs }, severity: late ? 2 : 0 });
        },
        roundTrip: (s, rttUs, atUs) => this.#emit?.gauge(FIX_SESSION, 'rtt_us', rttUs, this.#tags(s), atUs),
        message: (s, m, direction) =>
          this.#byType.add(`${s.name}\0${m.msgType}\0${direction}`, () => ({
            ...this.#tags(s),
            msg_type: m.msgType,
            msg_name: msgTypeName(m.msgType),
            direction,
          })),
      },
    );
  }

  process(batch: LineBatch, emit: Emit): void {
    this.#emit = emit;
    const { buf, starts, ends } = batch;
    const now = this.#env.clock.monotonic();
    for (let i = 0; i < batch.count; i++) {
      const start = starts[i]!;
      const end = ends[i]!;
      const at = fixStart(buf, start, end);
      if (at < 0) continue;
      this.#lines++;
      const m = parseFixLine(buf, start, at, end, this.#config.prefixUtcOffsetMinutes);
      if (m) this.#sessions.observe(m, now);
      else this.#unparsed++;
    }
  }

  report(emit: Emit): void {
    this.#emit = emit;
    const now = this.#env.clock.monotonic();
    this.#sessions.check(now);
    for (const s of this.#sessions.sessions) {
      const tags = this.#tags(s);
      if (s.state !== 'unknown') {
        this.#gauges(s);
        emit.gauge(FIX_SESSION, 'silence_ms', s.state === 'up' ? now - s.lastHeardMs : 0, tags);
      }
      for (const [field, value] of Object.entries(s.counts)) emit.counter(FIX_SESSION, field, value, tags);
    }
    for (const c of this.#byType.entries()) emit.counter(FIX_MESSAGES, 'count', c.count, c.tags);
    const tags = { rule: this.name };
    emit.counter(FIX_SESSION, 'lines', this.#lines, tags);
    emit.counter(FIX_SESSION, 'unparsed', this.#unparsed, tags);
    emit.counter(FIX_SESSION, 'rtt_expired', this.#sessions.rttExpired, tags);
    emit.counter(FIX_SESSION, 'sessions_dropped', this.#sessions.dropped, tags);
    emit.counter(FIX_SESSION, 'series_dropped', this.#byType.dropped, tags);
  }

  #gauges(s: FixSession): void {
    const tags = this.#tags(s);
    this.#emit?.gauge(FIX_SESSION, 'logged_on', s.state === 'up' ? 1 : 0, tags);
    this.#emit?.gauge(FIX_SESSION, 'heartbeat_late', s.late ? 1 : 0, tags);
    this.#emit?.gauge(FIX_SESSION, 'heartbeat_interval_s', s.heartBtIntS, tags);
  }

  #tags(s: FixSession): Tags {
    return { rule: this.name, session: s.name };
  }
}
