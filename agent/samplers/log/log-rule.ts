/**
 * Log rules: count matches, extract numbers as gauges, pair requests with responses (round-trip
 * time), or raise events. Each rule scans a whole batch of lines with its literal prefilter first
 * and runs RE2 on the Buffer of a candidate line only.
 */
import { isAscii } from 'node:buffer';
import type { Clock } from '../../../lib/clock.js';
import type { Emit, Tags } from '../../sampler.js';
import { LogRuleError, type RuleConfig, type TimestampConfig } from './config.js';
import { compileGlob } from './glob.js';
import type { LineBatch } from './lines.js';
import { captureText, compileMatcher, type Capture, type Groups, type Matcher } from './matcher.js';
import { FixSessionReader } from './fix/fix-rule.js';
import { PendingTable } from './pending.js';
import { SeriesCounts } from './series.js';
import { parseTimestampUs } from './timestamp.js';

export const RULE_MEASUREMENT = 'log_rule';
export const MATCH_EVENT = 'log.match';

export interface RuleEnv {
  clock: Clock;
  eventLineBytes: number;
}

export abstract class LogRule {
  readonly name: string;
  readonly #fileGlobs;
  readonly #appliesTo = new Map<string, boolean>();
  protected readonly config: RuleConfig;
  protected readonly env: RuleEnv;
  protected readonly counts: SeriesCounts;
  protected badTimestamps = 0;

  constructor(config: RuleConfig, env: RuleEnv) {
    this.name = config.name;
    this.config = config;
    this.env = env;
    this.counts = new SeriesCounts(config.maxSeries);
    this.#fileGlobs = config.files.map(compileGlob);
  }

  appliesTo(file: string): boolean {
    let yes = this.#appliesTo.get(file);
    if (yes === undefined) {
      yes = this.#fileGlobs.length === 0 || this.#fileGlobs.some((g) => g.matches(file));
      if (this.#appliesTo.size < 10_000) this.#appliesTo.set(file, yes);
    }
    return yes;
  }

  abstract process(batch: LineBatch, emit: Emit): void;

  /** Cumulative counters, emitted on every poll. */
  report(emit: Emit): void {
    for (const s of this.counts.entries()) emit.counter(RULE_MEASUREMENT, 'matches', s.count, s.tags);
    const tags = { rule: this.name };
    for (const [field, value] of Object.entries(this.stats())) emit.counter(RULE_MEASUREMENT, field, value, tags);
  }

  protected stats(): Record<string, number> {
    return { series_dropped: this.counts.dropped, bad_timestamps: this.badTimestamps };
  }

  /**
   * A file this rule applies to is being tailed: its match counter starts at 0 now, before any
   * match. A counter that first appears at N is no growth to a rate or a count-in-window rule
   * (the brain cannot tell it from a counter it has simply not seen before), so without this the
   * first burst of errors after an agent start would go unnoticed. Rules with capture tags get
   * their series at the first match (their tag values are not known before).
   */
  watching(file: string): void {
    if (this.config.tags.length === 0) this.counts.touch(file, () => ({ rule: this.name, file }));
  }

  protected countMatch(file: string, groups: Groups | undefined): void {
    const tagNames = this.config.tags;
    if (tagNames.length === 0 || !groups) {
      this.counts.add(file, () => ({ rule: this.name, file }));
      return;
    }
    const values = tagNames.map((t) => tagValue(groups[t]));
    this.counts.add(`${file}\0${values.join('\0')}`, () => {
      const tags: Tags = { rule: this.name, file };
      tagNames.forEach((t, i) => (tags[t] = values[i]!));
      return tags;
    });
  }

  /** The line's own time when the rule says where it is, else the time the line was read. */
  protected lineTimeUs(groups: Groups | undefined, batch: LineBatch, ts: TimestampConfig | undefined): number {
    if (!ts || !groups) return batch.arrivalUs;
    const raw = groups[ts.capture];
    const us = raw !== undefined ? parseTimestampUs(captureText(raw, 'latin1'), ts.format, ts.utcOffsetMinutes) : undefined;
    if (us === undefined) {
      this.badTimestamps++;
      return batch.arrivalUs;
    }
    return us;
  }
}

class CountRule extends LogRule {
  readonly #m: Matcher;
  readonly #needGroups: boolean;
  constructor(config: RuleConfig, env: RuleEnv, m: Matcher) {
    super(config, env);
    this.#m = m;
    this.#needGroups = config.tags.length > 0;
  }
  process(batch: LineBatch, _emit: Emit): void {
    const marks = this.#m.candidates(batch);
    const { buf, starts, ends } = batch;
    const re = this.#m.re;
    const ascii = batch.ascii === true;
    for (let i = 0; i < batch.count; i++) {
      if (marks[i] === 0) continue;
      if (this.#needGroups) {
        const groups = this.#m.captures(buf.subarray(starts[i]!, ends[i]!), ascii);
        if (groups) this.countMatch(batch.file, groups);
      } else if (this.#m.literalIsMatch || re.test(buf.subarray(starts[i]!, ends[i]!))) {
        this.countMatch(batch.file, undefined);
      }
    }
  }
}

class MetricRule extends LogRule {
  readonly #m: Matcher;
  readonly #fields: string[];
  constructor(config: RuleConfig, env: RuleEnv, m: Matcher) {
    super(config, env);
    this.#m = m;
    const skip = new Set([...config.tags, config.timestamp?.capture]);
    this.#fields = config.fields.length > 0 ? config.fields : m.captureNames.filter((n) => !skip.has(n));
  }
  process(batch: LineBatch, emit: Emit): void {
    const marks = this.#m.candidates(batch);
    const { buf, starts, ends } = batch;
    const ascii = batch.ascii === true;
    for (let i = 0; i < batch.count; i++) {
      if (marks[i] === 0) continue;
      const groups = this.#m.captures(buf.subarray(starts[i]!, ends[i]!), ascii);
      if (!groups) continue;
      this.countMatch(batch.file, groups);
      const timeUs = this.lineTimeUs(groups, batch, this.config.timestamp);
      const tags = this.#tags(batch.file, groups);
      for (const f of this.#fields) {
        const raw = groups[f];
        const value = raw !== undefined ? Number(captureText(raw, 'latin1')) : NaN;
        if (Number.isFinite(value)) emit.gauge(RULE_MEASUREMENT, f, value, tags, timeUs);
      }
    }
  }
  /** Without tag captures, one tags object per file, reused for every sample (nothing downstream keeps or changes it). */
  readonly #fileTags = new Map<string, Tags>();
  #tags(file: string, groups: Groups): Tags {
    if (this.config.tags.length === 0) {
      let tags = this.#fileTags.get(file);
      if (!tags) {
        if (this.#fileTags.size >= 1000) this.#fileTags.clear();
        this.#fileTags.set(file, (tags = { rule: this.name, file }));
      }
      return tags;
    }
    const tags: Tags = { rule: this.name, file };
    for (const t of this.config.tags) tags[t] = tagValue(groups[t]);
    return tags;
  }
}

class EventRule extends LogRule {
  readonly #m: Matcher;
  #tokens: number;
  #refilledMs: number;
  #dropped = 0;
  constructor(config: RuleConfig, env: RuleEnv, m: Matcher) {
    super(config, env);
    this.#m = m;
    this.#tokens = config.maxEventsPerSec;
    this.#refilledMs = env.clock.monotonic();
  }
  process(batch: LineBatch, emit: Emit): void {
    const marks = this.#m.candidates(batch);
    const { buf, starts, ends } = batch;
    const ascii = batch.ascii === true;
    for (let i = 0; i < batch.count; i++) {
      if (marks[i] === 0) continue;
      const line = buf.subarray(starts[i]!, ends[i]!);
      const groups = this.#m.captures(line, ascii);
      if (!groups) continue;
      this.countMatch(batch.file, groups);
      if (!this.#take()) {
        this.#dropped++;
        continue;
      }
      const attrs: Record<string, string> = { line: line.subarray(0, this.env.eventLineBytes).toString('utf8') };
      for (const [k, v] of Object.entries(groups))
        if (v !== undefined) attrs[k] = typeof v === 'string' ? v.slice(0, 1024) : v.subarray(0, 1024).toString('utf8');
      emit.event(MATCH_EVENT, {
        tags: { rule: this.name, file: batch.file },
        attrs,
        severity: this.config.severity,
        timeUs: this.lineTimeUs(groups, batch, this.config.timestamp),
      });
    }
  }
  #take(): boolean {
    const now = this.env.clock.monotonic();
    const rate = this.config.maxEventsPerSec;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledMs) / 1000) * rate);
    this.#refilledMs = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
  protected override stats(): Record<string, number> {
    return { ...super.stats(), events_dropped: this.#dropped };
  }
}

class RoundTripRule extends LogRule {
  readonly #req: Matcher;
  readonly #resp: Matcher;
  readonly #pending: PendingTable;
  #pairs = 0;
  #unmatched = 0;
  #backlogSkipped = 0;
  constructor(config: RuleConfig, env: RuleEnv, req: Matcher, resp: Matcher) {
    super(config, env);
    this.#req = req;
    this.#resp = resp;
    this.#pending = new PendingTable(config.maxPending, config.timeoutMs);
  }
  process(batch: LineBatch, emit: Emit): void {
    const reqMarks = this.#req.candidates(batch);
    const respMarks = this.#resp.candidates(batch);
    const { buf, starts, ends } = batch;
    const nowMs = this.env.clock.monotonic();
    for (let i = 0; i < batch.count; i++) {
      if (reqMarks[i] === 0 && respMarks[i] === 0) continue;
      const line = buf.subarray(starts[i]!, ends[i]!);
      if (reqMarks[i] !== 0) {
        const groups = this.#req.captures(line, batch.ascii === true);
        const key = groups?.[this.config.key];
        if (groups && key !== undefined) {
          this.#pending.add(captureText(key, 'latin1'), this.lineTimeUs(groups, batch, this.config.timestamp), nowMs);
          continue;
        }
      }
      if (respMarks[i] !== 0) this.#response(line, batch, emit, nowMs);
    }
  }
  #response(line: Buffer, batch: LineBatch, emit: Emit, nowMs: number): void {
    const groups = this.#resp.captures(line, batch.ascii === true);
    const key = groups?.[this.config.key];
    if (!groups || key === undefined) return;
    const startUs = this.#pending.take(captureText(key, 'latin1'), nowMs);
    if (startUs === undefined) {
      this.#unmatched++;
      return;
    }
    this.countMatch(batch.file, groups);
    this.#pairs++;
    if (batch.backlog && !this.config.timestamp) {
      this.#backlogSkipped++; // both lines read now: their arrival times say nothing about the round trip
      return;
    }
    const endUs = this.lineTimeUs(groups, batch, this.config.timestamp);
    emit.gauge(RULE_MEASUREMENT, 'rtt_us', endUs - startUs, { rule: this.name, file: batch.file }, endUs);
  }
  override report(emit: Emit): void {
    this.#pending.expire(this.env.clock.monotonic());
    super.report(emit);
    emit.gauge(RULE_MEASUREMENT, 'rtt_pending', this.#pending.size, { rule: this.name });
  }
  protected override stats(): Record<string, number> {
    return {
      ...super.stats(),
      rtt_pairs: this.#pairs,
      rtt_unmatched: this.#unmatched,
      rtt_expired: this.#pending.expired,
      rtt_evicted: this.#pending.evicted,
      rtt_backlog_skipped: this.#backlogSkipped,
    };
  }
}

/** `action: fix`: FIX session health from an engine's message log (fix/fix-rule.ts). */
class FixRule extends LogRule {
  readonly #reader: FixSessionReader;
  constructor(config: RuleConfig, env: RuleEnv) {
    super(config, env);
    this.#reader = new FixSessionReader(config, env);
  }
  process(batch: LineBatch, emit: Emit): void {
    this.#reader.process(batch, emit);
  }
  override report(emit: Emit): void {
    this.#reader.report(emit);
  }
  // Sessions appear at their first message: nothing to report for a file before that.
  override watching(): void {}
}

function tagValue(v: Capture | undefined): string {
  return v === undefined ? '' : captureText(v, 'utf8').slice(0, 128);
}

function need(rule: RuleConfig, field: 'pattern' | 'request' | 'response'): string {
  const p = rule[field];
  if (!p) throw new LogRuleError(rule.name, field, `is required for action ${rule.action}`);
  return p;
}

function requireCaptures(rule: RuleConfig, m: Matcher, field: string, names: (string | undefined)[]): void {
  for (const n of names) {
    if (n !== undefined && !m.captureNames.includes(n)) {
      throw new LogRuleError(rule.name, field, `has no named capture (?P<${n}>...)`);
    }
  }
}

/** Compiles one rule; every problem is a config error naming the rule. */
export function compileRule(config: RuleConfig, env: RuleEnv): LogRule {
  const compile = (field: 'pattern' | 'request' | 'response'): Matcher =>
    compileMatcher(config.name, field, need(config, field), config.ignoreCase, config.literal);
  if (config.action === 'fix') return new FixRule(config, env);
  if (config.action === 'roundtrip') {
    const req = compile('request');
    const resp = compile('response');
    requireCaptures(config, req, 'request', [config.key, config.timestamp?.capture]);
    requireCaptures(config, resp, 'response', [config.key, config.timestamp?.capture]);
    return new RoundTripRule(config, env, req, resp);
  }
  const m = compile('pattern');
  requireCaptures(config, m, 'pattern', [...config.tags, ...config.fields, config.timestamp?.capture]);
  if (config.action === 'count') return new CountRule(config, env, m);
  if (config.action === 'event') return new EventRule(config, env, m);
  const rule = new MetricRule(config, env, m);
  if (m.captureNames.length === 0) throw new LogRuleError(config.name, 'pattern', 'a metric rule needs a named capture holding the number');
  return rule;
}

export function compileRules(configs: RuleConfig[], env: RuleEnv): LogRule[] {
  const seen = new Set<string>();
  return configs.map((c, index) => {
    try {
      if (seen.has(c.name)) throw new LogRuleError(c.name, 'name', 'duplicate rule name');
      seen.add(c.name);
      return compileRule(c, env);
    } catch (err) {
      if (err instanceof LogRuleError) err.index = index;
      throw err;
    }
  });
}

/** Runs every rule that applies to the batch's file. */
export function runRules(rules: readonly LogRule[], batch: LineBatch, emit: Emit): void {
  if (batch.count === 0) return;
  // One pass over the batch (SIMD) lets the capture fast path skip its per-line check.
  batch.ascii ??= isAscii(batch.buf.subarray(batch.starts[0]!, batch.ends[batch.count - 1]!));
  for (const rule of rules) if (rule.appliesTo(batch.file)) rule.process(batch, emit);
}
