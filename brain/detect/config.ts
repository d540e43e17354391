/**
 * The `detectors:` section of the brain's configuration: the named detectors' parameters, each
 * with a default, validated with the rest of the file (file:line:field errors).
 */
import { severities, type Severity } from '../rules/rule.js';

export interface DirtyFlushConfig {
  enabled: boolean;
  /** Flush cycles are looked for in this much recent history. */
  window_ms: number;
  /** Regular cycles needed before the pattern is present (one spike is not a pattern). */
  min_cycles: number;
  /** A dirty peak smaller than this is noise, not a cycle. */
  min_peak_bytes: number;
  /** Dirty must fall by this share of its peak to count as drained. */
  drain_share: number;
  /** Disk writes from the peak to the drain (+ drain_slack_ms) must cover this share of what drained. */
  burst_share: number;
  /** Writeback reaches the disk a little after dirty falls: the burst is counted this long after. */
  drain_slack_ms: number;
  /** Intervals between peaks may differ from their median by this share (median deviation). */
  max_period_jitter: number;
  /** A flush storm: the pattern's peak reaches this share of the kernel's dirty threshold. */
  storm_share: number;
  severity: Severity;
}

export interface FixRoundTripConfig {
  enabled: boolean;
  /** The log rules (action roundtrip) whose `rtt_us` is a FIX TestRequest → Heartbeat; empty = every roundtrip rule. */
  rules: string[];
  /** The baseline is the median of this many recent normal round trips. */
  baseline_samples: number;
  /** Fewer normal round trips than this: still learning, never slow. */
  min_baseline_samples: number;
  /** Slow above baseline × factor... */
  factor: number;
  /** ...and above this absolute floor (a 200 µs baseline × 3 is not worth a page). */
  floor_us: number;
  /** Slow this long before it fires. */
  for_ms: number;
  /** A session whose round trips stopped this long ago is forgotten (and resolves). */
  forget_after_ms: number;
  severity: Severity;
}

export interface DetectorsConfig {
  /** How often the detectors look at the latest samples (they see one per series per look). */
  check_every_ms: number;
  dirty_flush: DirtyFlushConfig;
  fix_round_trip: FixRoundTripConfig;
}

const int = (min: number, def: number, max = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum: min, maximum: max, default: def });
const share = (def: number) => ({ type: 'number', exclusiveMinimum: 0, maximum: 1, default: def });
const severity = (def: Severity) => ({ enum: [...severities], default: def });

export const detectorsSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    check_every_ms: int(50, 250, 60_000),
    dirty_flush: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        window_ms: int(1_000, 300_000, 24 * 3_600_000),
        min_cycles: int(2, 3, 1_000),
        min_peak_bytes: int(0, 16 * 1024 * 1024),
        drain_share: share(0.5),
        burst_share: share(0.5),
        drain_slack_ms: int(0, 2_000, 60_000),
        max_period_jitter: share(0.35),
        storm_share: share(0.5),
        severity: severity('major'),
      },
    },
    fix_round_trip: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        rules: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
        baseline_samples: int(3, 20, 10_000),
        min_baseline_samples: int(1, 5, 10_000),
        factor: { type: 'number', minimum: 1, default: 3 },
        floor_us: { type: 'number', minimum: 0, default: 50_000 },
        for_ms: int(0, 10_000),
        forget_after_ms: int(1_000, 300_000),
        severity: severity('major'),
      },
    },
  },
};
