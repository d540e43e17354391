/**
 * The JSON schema of a rule file (format and examples: docs/rules.md). It checks shapes, so
 * a typo is reported at file:line:field; which fields a kind needs is checked in build-rule.ts.
 */
import { phases } from '../calendar/phase.js';
import { durationSchema } from '../../lib/duration.js';
import { ruleKinds, severities } from './rule.js';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;

const eventSelectorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: { kind: { type: 'string', minLength: 1 }, when: stringList, min_severity: { enum: severities } },
} as const;

const seriesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['measurement', 'field'],
  properties: { measurement: { type: 'string', minLength: 1 }, field: { type: 'string', minLength: 1 } },
} as const;

const phaseSeverities = Object.fromEntries(phases.map((p) => [p, { enum: severities }]));

export const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind', 'severity'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    kind: { enum: ruleKinds },
    severity: { enum: severities },
    severity_by_phase: { type: 'object', additionalProperties: false, properties: phaseSeverities },
    phases: { type: 'array', items: { enum: phases }, uniqueItems: true, minItems: 1 },
    market: { type: 'string', minLength: 1 },
    match: stringList,
    for: durationSchema,
    keep_firing_for: durationSchema,
    labels: stringMap,
    annotations: stringMap,
    series: seriesSchema,
    above: { type: 'number' },
    below: { type: 'number' },
    clear: { type: 'number' },
    max_age: durationSchema,
    aggregate: {
      type: 'object',
      additionalProperties: false,
      required: ['by', 'op'],
      properties: { by: { type: 'array', items: { type: 'string' }, minItems: 1 }, op: { enum: ['count', 'sum', 'min', 'max', 'avg'] } },
    },
    stale_after: durationSchema,
    missed: { type: 'integer', minimum: 1 },
    every: durationSchema,
    window: durationSchema,
    counter: { type: 'boolean' },
    per: { enum: ['second', 'window'] },
    event: eventSelectorSchema,
    at_least: { type: 'integer', minimum: 1 },
    by: { type: 'array', items: { type: 'string' }, minItems: 1 },
    on: eventSelectorSchema,
    resolve: eventSelectorSchema,
    hold: durationSchema,
  },
} as const;

export const ruleFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  properties: {
    group: { type: 'string', minLength: 1 },
    interval: durationSchema,
    market: { type: 'string', minLength: 1 },
    rules: { type: 'array', items: ruleSchema },
  },
} as const;

export interface RawEventSelector {
  kind: string;
  when?: string[];
  min_severity?: (typeof severities)[number];
}

/** A rule as written (after schema validation). */
export interface RawRule {
  name: string;
  kind: (typeof ruleKinds)[number];
  severity: (typeof severities)[number];
  severity_by_phase?: Partial<Record<(typeof phases)[number], (typeof severities)[number]>>;
  phases?: (typeof phases)[number][];
  market?: string;
  match?: string[];
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  series?: { measurement: string; field: string };
  above?: number;
  below?: number;
  clear?: number;
  max_age?: string;
  aggregate?: { by: string[]; op: 'count' | 'sum' | 'min' | 'max' | 'avg' };
  stale_after?: string;
  missed?: number;
  every?: string;
  window?: string;
  counter?: boolean;
  per?: 'second' | 'window';
  event?: RawEventSelector;
  at_least?: number;
  by?: string[];
  on?: RawEventSelector;
  resolve?: RawEventSelector;
  hold?: string;
}

export interface RawRuleFile {
  group?: string;
  interval?: string;
  market?: string;
  rules: RawRule[];
}
