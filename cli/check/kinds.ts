/**
 * The kinds of file `floorwatch check` knows: how to recognise each (its top-level keys, its
 * usual name) and how to check it offline with the loader the running part uses, so a file
 * that passes here is a file the agent, brain or plant accepts.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { agentSchema, parseAgentConfig, parsePushedConfig, pushableSchema, type AgentConfig } from '../../agent/config.js';
import { brainSchema, parseBrainConfig, type BrainConfig } from '../../brain/config.js';
import { calendarFileSchema } from '../../brain/calendar/calendar-file.js';
import { parseCalendar } from '../../brain/calendar/load.js';
import { parseSchedule, scheduleSchema } from '../../brain/oncall/schedule-config.js';
import { readRuleTexts } from '../../brain/rules/manager.js';
import { parseRuleFile } from '../../brain/rules/rule-file.js';
import { ruleFileSchema } from '../../brain/rules/rule-schema.js';
import { ruleTestFileSchema, runRuleTestFile } from '../../brain/rules/rule-tests.js';
import { parseTopologyText, topologySchema } from '../../brain/topology/topology-file.js';
import { readConfigText } from '../../lib/config-file.js';
import { packageRoot } from '../../lib/paths.js';
import { lineOfPath, type YamlPath } from '../../lib/yaml-lines.js';
import { parsePlantConfig, plantSchema } from '../../plant/config.js';

/** What checking one file found. Problems fail the check; warnings fail it only with --strict. */
export interface Outcome {
  summary: string;
  problems: string[];
  warnings: string[];
}

export interface Kind {
  readonly name: string;
  readonly what: string;
  /** Top-level keys the file may have, and those it must have. */
  readonly keys: readonly string[];
  readonly required: readonly string[];
  /** The file's usual name: breaks ties between kinds whose keys overlap (agent and brain both have `brain:`). */
  readonly nameHint: RegExp;
  /** Throws ConfigError (file:line:field) for the first problem, as the loader would. */
  check(file: string, text: string): Outcome;
}

const keysOf = (schema: object) => Object.keys((schema as { properties: object }).properties);
const requiredOf = (schema: object) => [...((schema as { required?: readonly string[] }).required ?? [])];
const clean = (summary: string): Outcome => ({ summary, problems: [], warnings: [] });

export const KINDS: readonly Kind[] = [
  {
    name: 'agent',
    what: 'agent configuration (floorwatch agent -c)',
    keys: keysOf(agentSchema()),
    required: [],
    nameHint: /agent/i,
    check: (file, text) => {
      const c = parseAgentConfig(text, file);
      return { ...clean(`agent ${c.agent.id}, samplers ${Object.keys(c.samplers).join(', ')}`), warnings: agentReferences(c, file, text) };
    },
  },
  {
    name: 'agent-config',
    what: "the agents' pushable configuration (brain agent_config: interval_ms, samplers)",
    keys: keysOf(pushableSchema()),
    required: ['samplers'],
    nameHint: /agents|push/i,
    check: (file, text) => clean(`samplers ${Object.keys(parsePushedConfig(text, 0, file).samplers).join(', ')}`),
  },
  {
    name: 'brain',
    what: 'brain configuration (floorwatch brain -c), with the files it names',
    keys: keysOf(brainSchema),
    required: [],
    nameHint: /brain/i,
    check: (file, text) => checkBrain(file, text),
  },
  {
    name: 'rules',
    what: 'a rule file (rules/*.yaml)',
    keys: keysOf(ruleFileSchema),
    required: requiredOf(ruleFileSchema),
    nameHint: /rule|\.ya?ml$/i,
    check: (file, text) => clean(`${parseRuleFile(text, file).rules.length} rules`),
  },
  {
    name: 'rule-test',
    what: 'rule unit tests (rules/*.test.yaml), run like promtool test rules',
    keys: keysOf(ruleTestFileSchema),
    required: requiredOf(ruleTestFileSchema),
    nameHint: /\.test\.ya?ml$/i,
    check: (file) => runRuleTests(file),
  },
  {
    name: 'calendar',
    what: 'trading-day calendar (markets, maintenance, silences, phase policies)',
    keys: keysOf(calendarFileSchema),
    required: requiredOf(calendarFileSchema),
    nameHint: /calendar|trading/i,
    check: (file, text) => clean(`markets ${[...parseCalendar(text, file).calendar.markets.keys()].join(', ')}`),
  },
  {
    name: 'topology',
    what: 'floor and plant topology (hosts, components)',
    keys: keysOf(topologySchema),
    required: requiredOf(topologySchema),
    nameHint: /topology/i,
    check: (file, text) => {
      const t = parseTopologyText(text, file);
      return clean(`${Object.keys(t.hosts).length} hosts, ${Object.keys(t.components).length} components`);
    },
  },
  {
    name: 'oncall',
    what: 'on-call schedule (people, rotations, overrides)',
    keys: keysOf(scheduleSchema),
    required: requiredOf(scheduleSchema),
    nameHint: /on-?call|schedule|rota/i,
    check: (file, text) => {
      const s = parseSchedule(text, file);
      return clean(`${s.people.size} people, ${s.rotations.length} rotations`);
    },
  },
  {
    name: 'plant',
    what: 'market-data plant (floorwatch plant -c)',
    keys: keysOf(plantSchema),
    required: [],
    nameHint: /plant/i,
    check: (file, text) => clean(`plant ${parsePlantConfig(text, file).name}`),
  },
];

export const kindNamed = (name: string): Kind | undefined => KINDS.find((k) => k.name === name);

function runRuleTests(file: string): Outcome {
  const outcomes = runRuleTestFile(file);
  const text = readConfigText(file);
  const names = ((parse(text) as { tests?: { name?: string }[] }).tests ?? []).map((t) => t.name);
  const problems = outcomes.flatMap((o) => {
    const line = lineOfPath(text, ['tests', names.indexOf(o.test), 'name']);
    return o.problems.map((p) => `${file}:${line}: tests.${o.test}: ${o.alertname} at ${o.evalTime}: ${p}`);
  });
  return { summary: `${outcomes.length} checks in ${names.length} tests${problems.length ? '' : ', all pass'}`, problems, warnings: [] };
}

/** A file the configuration names, missing or unreadable: a warning (the file may come later), a failure with --strict. */
function reference(file: string, text: string, path: YamlPath, target: string | undefined): string[] {
  if (target === undefined) return [];
  try {
    accessSync(target, constants.R_OK);
    return [];
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    return [`${file}:${lineOfPath(text, path)}: ${path.join('.')}: ${target} ${why}`];
  }
}

function agentReferences(c: AgentConfig, file: string, text: string): string[] {
  const tls = c.brain.tls;
  if (!tls) return [];
  return (['ca', 'cert', 'key'] as const).flatMap((k) => reference(file, text, ['brain', 'tls', k], tls[k]));
}

/** The brain and every file it names: rules (against its calendar's markets), calendar, topology, schedules, agent config. */
function checkBrain(file: string, text: string): Outcome {
  const c: BrainConfig = parseBrainConfig(text, file);
  const packaged = (p: string) => p.replace('<packaged>', packageRoot());
  const warnings: string[] = [];
  const problems: string[] = [];
  const named = (path: YamlPath, target: string | undefined, kind: Kind | undefined): void => {
    const missing = reference(file, text, path, target);
    warnings.push(...missing);
    if (missing.length > 0 || target === undefined || !kind) return;
    const found = checkText(kind, target);
    problems.push(...found.problems);
    warnings.push(...found.warnings);
  };
  for (const k of ['cert', 'key', 'ca'] as const) named(['tls', k], c.tls?.[k], undefined);
  named(['topology'], c.topology, kindNamed('topology'));
  named(['agent_config'], c.agent_config, kindNamed('agent-config'));
  named(['paging', 'schedule'], c.paging?.schedule, kindNamed('oncall'));
  c.paging?.routes.forEach((r, i) => named(['paging', 'routes', i, 'schedule'], r.schedule, kindNamed('oncall')));
  let markets: Set<string> | undefined;
  if (c.rules.enabled && c.rules.calendar) {
    const cal = packaged(c.rules.calendar);
    named(['rules', 'calendar'], cal, kindNamed('calendar'));
    if (existsSync(cal) && problems.length === 0) markets = new Set(parseCalendar(readConfigText(cal), cal).calendar.markets.keys());
  }
  let rules = 0;
  if (c.rules.enabled) {
    const dir = packaged(c.rules.dir);
    const missing =
      existsSync(dir) && statSync(dir).isDirectory()
        ? []
        : [`${file}:${lineOfPath(text, ['rules', 'dir'])}: rules.dir: ${dir} is not a directory`];
    warnings.push(...missing);
    if (missing.length === 0) {
      for (const [ruleFile, ruleText] of readRuleTexts(dir)) {
        try {
          rules += parseRuleFile(ruleText, ruleFile, markets).rules.length;
        } catch (err) {
          problems.push(located(err));
        }
      }
    }
  }
  return {
    summary: `brain ${c.brain.id}, ${rules} rules${c.paging ? ', paging' : ''}${c.topology ? ', topology' : ''}`,
    problems,
    warnings,
  };
}

/** Checks one file as `kind`, turning the loader's first ConfigError into a problem. */
export function checkText(kind: Kind, file: string, text = readConfigText(file)): Outcome {
  try {
    return kind.check(file, text);
  } catch (err) {
    return { summary: '', problems: [located(err)], warnings: [] };
  }
}

function located(err: unknown): string {
  const e = err as { located?: string; message: string };
  if (typeof e.located === 'string') return e.located;
  throw err;
}

/** The YAML files in a directory, recursively, in name order. */
export function yamlFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? yamlFilesIn(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
}
