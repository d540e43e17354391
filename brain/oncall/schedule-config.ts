/**
 * The on-call file (YAML), validated: the JSON schema catches shapes, then references, zones,
 * times and windows are checked, each error located as file:line:field.
 *
 *   people:
 *     alice: { name: Alice Ng, pager: oncall-ldn, email: alice@floor.example, timeZone: Europe/London }
 *   rotations:
 *     - name: london
 *       tier: first-line            # first-line | back-line | support-manager
 *       timeZone: Europe/London
 *       days: [mon, tue, wed, thu, fri]
 *       start: "07:00"
 *       end: "16:00"                # at or before start: the shift runs past midnight
 *       people: [alice, bob]
 *       handoff: { every: week, anchor: 2026-01-05 }   # alice the week of the anchor, bob the next
 *   overrides:
 *     - { tier: first-line, person: carol, replaces: alice, start: 2026-11-23T07:00:00Z, end: 2026-11-24T07:00:00Z }
 */
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../lib/config-file.js';
import { ConfigError, FloorwatchError } from '../../lib/errors.js';
import { lineOfPath } from '../../lib/yaml-lines.js';
import type { Recipient } from '../channels/notification.js';
import { dayNumberOf, isValidTimeZone, minutesOf } from './local-time.js';
import { TIERS, type Override, type Rotation, type Schedule } from './schedule.js';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const ID = '^[A-Za-z0-9._-]+$';

export const scheduleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['people', 'rotations'],
  properties: {
    people: {
      type: 'object',
      propertyNames: { pattern: ID },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          pager: { type: 'string', pattern: '^[\\x21-\\x7e]+$' },
          email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' },
          timeZone: { type: 'string' },
        },
      },
    },
    rotations: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'tier', 'timeZone', 'start', 'end', 'people'],
        properties: {
          name: { type: 'string', minLength: 1 },
          tier: { enum: [...TIERS] },
          timeZone: { type: 'string' },
          days: { type: 'array', items: { enum: [...WEEKDAYS] }, minItems: 1, default: [...WEEKDAYS] },
          start: { type: 'string', pattern: '^\\d\\d:\\d\\d$' },
          end: { type: 'string', pattern: '^\\d\\d:\\d\\d$' },
          people: { type: 'array', items: { type: 'string' }, minItems: 1 },
          handoff: {
            type: 'object',
            additionalProperties: false,
            required: ['every', 'anchor'],
            properties: { every: { enum: ['day', 'week'] }, anchor: { type: 'string' } },
            default: { every: 'week', anchor: '2026-01-05' },
          },
        },
      },
    },
    overrides: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tier', 'person', 'start', 'end'],
        properties: {
          tier: { enum: [...TIERS] },
          person: { type: 'string' },
          replaces: { type: 'string' },
          start: { type: 'string' },
          end: { type: 'string' },
        },
      },
    },
  },
} as const;

interface RawSchedule {
  people: Record<string, { name: string; pager?: string; email?: string; timeZone?: string }>;
  rotations: {
    name: string;
    tier: Rotation['tier'];
    timeZone: string;
    days: (typeof WEEKDAYS)[number][];
    start: string;
    end: string;
    people: string[];
    handoff: { every: 'day' | 'week'; anchor: string };
  }[];
  overrides: { tier: Override['tier']; person: string; replaces?: string; start: string; end: string }[];
}

export function loadSchedule(file: string): Schedule {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FloorwatchError('FW_ERR_CONFIG_UNREADABLE', `${file}: ${(err as Error).message}`);
  }
  return parseSchedule(text, file);
}

export function parseSchedule(text: string, file: string): Schedule {
  const raw = parseConfigText<RawSchedule>(text, scheduleSchema, file);
  const fail = (path: (string | number)[], problem: string): never => {
    throw new ConfigError(file, lineOfPath(text, path), path.join('.'), problem);
  };
  const people = new Map<string, Recipient>();
  for (const [id, p] of Object.entries(raw.people)) {
    if (p.timeZone !== undefined && !isValidTimeZone(p.timeZone)) fail(['people', id, 'timeZone'], `unknown time zone "${p.timeZone}"`);
    people.set(id, { id, ...p });
  }
  const known = (path: (string | number)[], id: string) => {
    if (!people.has(id)) fail(path, `unknown person "${id}" (not under people)`);
  };
  const rotations = raw.rotations.map((r, i): Rotation => {
    const at = (...rest: (string | number)[]) => ['rotations', i, ...rest];
    if (!isValidTimeZone(r.timeZone)) fail(at('timeZone'), `unknown time zone "${r.timeZone}"`);
    const startMinute = minutesOf(r.start);
    const endMinute = minutesOf(r.end);
    if (!(startMinute < 1440)) fail(at('start'), `"${r.start}" is not a time of day (00:00-23:59)`);
    if (Number.isNaN(endMinute)) fail(at('end'), `"${r.end}" is not a time of day (00:00-24:00)`);
    r.people.forEach((id, j) => known(at('people', j), id));
    const anchorDay = dayNumberOf(r.handoff.anchor);
    if (Number.isNaN(anchorDay)) fail(at('handoff', 'anchor'), `"${r.handoff.anchor}" is not a date (YYYY-MM-DD)`);
    return {
      name: r.name,
      tier: r.tier,
      timeZone: r.timeZone,
      days: new Set(r.days.map((d) => WEEKDAYS.indexOf(d))),
      startMinute,
      endMinute: endMinute === 1440 && startMinute === 0 ? 1440 : endMinute % 1440,
      people: r.people,
      handoff: { every: r.handoff.every, anchorDay },
    };
  });
  const overrides = raw.overrides.map((o, i): Override => {
    const at = (...rest: string[]) => ['overrides', i, ...rest];
    known(at('person'), o.person);
    if (o.replaces !== undefined) known(at('replaces'), o.replaces);
    const start = instant(o.start) ?? fail(at('start'), `"${o.start}" is not an ISO 8601 instant with a zone (2026-11-23T07:00:00Z)`);
    const end = instant(o.end) ?? fail(at('end'), `"${o.end}" is not an ISO 8601 instant with a zone`);
    if (end <= start) fail(at('end'), 'must be after start');
    return { tier: o.tier, person: o.person, start, end, ...(o.replaces !== undefined ? { replaces: o.replaces } : {}) };
  });
  return { people, rotations, overrides };
}

function instant(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}
