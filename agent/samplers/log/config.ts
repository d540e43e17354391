/** The `log` config section: which files to tail and which rules to run over their lines. */
import { FloorwatchError } from '../../../lib/errors.js';

export type RuleAction = 'count' | 'metric' | 'roundtrip' | 'event' | 'fix';
export type TimestampFormat = 'iso8601' | 'fix' | 'unix_s' | 'unix_ms' | 'unix_us' | 'unix_ns';

export interface TimestampConfig {
  /** Named capture holding the line's own timestamp. */
  capture: string;
  format: TimestampFormat;
  /** For iso8601 text without a zone: minutes east of UTC the writer logs in (0 = UTC). */
  utcOffsetMinutes: number;
}

export interface RuleConfig {
  name: string;
  action: RuleAction;
  /** RE2 syntax. Required for count, metric, event; roundtrip uses request/response. */
  pattern?: string;
  request?: string;
  response?: string;
  /** Named capture pairing a request with its response (roundtrip). */
  key: string;
  /** Overrides the literal prefilter extracted from the pattern(s); "" disables it. */
  literal?: string;
  ignoreCase: boolean;
  /** Globs (same syntax as `files`) restricting the rule to some files; empty = every file. */
  files: string[];
  /** metric: the named captures to emit as gauges; empty = every named capture that parses as a number. */
  fields: string[];
  /** count/metric: named captures that become tags (bounded by maxSeries). */
  tags: string[];
  maxSeries: number;
  timestamp?: TimestampConfig;
  /** roundtrip: pending requests kept at most, and how long one waits for its response. */
  maxPending: number;
  timeoutMs: number;
  /** event: severity and a rate cap per rule (token bucket, burst = the rate). */
  severity: 0 | 1 | 2 | 3 | 4;
  maxEventsPerSec: number;
  /** fix: our CompIDs (names sessions LOCAL/REMOTE, tells incoming from outgoing); empty = unknown. */
  localCompIds: string[];
  /** fix: HeartBtInt until a Logon says otherwise, and the slack before a heartbeat counts as missed. */
  defaultHeartBtIntS: number;
  heartbeatToleranceMs: number;
  /** fix: minutes east of UTC of a zone-less ISO timestamp prefix (log4j/logback layouts). */
  prefixUtcOffsetMinutes: number;
}

/** A rule the schema accepts but that cannot run: names the rule, its field and (once known) its index. */
export class LogRuleError extends FloorwatchError {
  index: number | undefined;
  constructor(
    readonly rule: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super('FW_ERR_CONFIG_INVALID', `log rule "${rule}": ${field}: ${problem}`);
  }
}

export interface LogConfig {
  enabled: boolean;
  /** Paths or globs; wildcards (* ? [..]) only in the last path component. */
  files: string[];
  /** Where to begin a file present at the first-ever start (no saved offset); later files start at 0. */
  startAt: 'beginning' | 'end';
  maxLineBytes: number;
  eventLineBytes: number;
  readChunkBytes: number;
  recheckMs: number;
  pollMs: number;
  rotateGraceMs: number;
  /** fsync the offsets file on every save (survives power loss, costs a disk flush per batch). */
  fsyncOffsets: boolean;
  rules: RuleConfig[];
}

const timestampSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['capture', 'format'],
  properties: {
    capture: { type: 'string', minLength: 1 },
    format: { enum: ['iso8601', 'fix', 'unix_s', 'unix_ms', 'unix_us', 'unix_ns'] },
    utcOffsetMinutes: { type: 'integer', minimum: -840, maximum: 840, default: 0 },
  },
};

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'action'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    action: { enum: ['count', 'metric', 'roundtrip', 'event', 'fix'] },
    pattern: { type: 'string', minLength: 1, maxLength: 4096 },
    request: { type: 'string', minLength: 1, maxLength: 4096 },
    response: { type: 'string', minLength: 1, maxLength: 4096 },
    key: { type: 'string', minLength: 1, default: 'id' },
    literal: { type: 'string', maxLength: 256 },
    ignoreCase: { type: 'boolean', default: false },
    files: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    fields: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    tags: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 8, default: [] },
    maxSeries: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
    timestamp: timestampSchema,
    maxPending: { type: 'integer', minimum: 1, maximum: 1000000, default: 10000 },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 3600000, default: 60000 },
    severity: { enum: [0, 1, 2, 3, 4], default: 1 },
    maxEventsPerSec: { type: 'number', exclusiveMinimum: 0, maximum: 100000, default: 20 },
    localCompIds: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    defaultHeartBtIntS: { type: 'integer', minimum: 1, maximum: 3600, default: 30 },
    heartbeatToleranceMs: { type: 'integer', minimum: 0, maximum: 600000, default: 2000 },
    prefixUtcOffsetMinutes: { type: 'integer', minimum: -840, maximum: 840, default: 0 },
  },
};

export const logConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', default: true },
    files: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    startAt: { enum: ['beginning', 'end'], default: 'end' },
    maxLineBytes: { type: 'integer', minimum: 256, maximum: 16777216, default: 65536 },
    eventLineBytes: { type: 'integer', minimum: 16, maximum: 1024, default: 1024 },
    readChunkBytes: { type: 'integer', minimum: 4096, maximum: 67108864, default: 1048576 },
    recheckMs: { type: 'integer', minimum: 1, maximum: 10000, default: 60 },
    pollMs: { type: 'integer', minimum: 10, maximum: 60000, default: 1000 },
    rotateGraceMs: { type: 'integer', minimum: 0, maximum: 600000, default: 2000 },
    fsyncOffsets: { type: 'boolean', default: false },
    rules: { type: 'array', items: ruleSchema, default: [] },
  },
} as const;
