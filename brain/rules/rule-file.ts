/**
 * One rule file: YAML text → a group specification with built rules, or a ConfigError at
 * file:line:field. Pure (no I/O), so the manager, the rule-test runner and the tests share it.
 */
import { basename } from 'node:path';
import { parseConfigText } from '../../lib/config-file.js';
import { ConfigError } from '../../lib/errors.js';
import { buildRule, RuleProblem } from './build-rule.js';
import { parseDuration } from '../../lib/duration.js';
import type { Rule } from './rule.js';
import { ruleFileSchema, type RawRuleFile } from './rule-schema.js';
import { lineOfPath, type YamlPath } from '../../lib/yaml-lines.js';

export interface GroupSpec {
  readonly name: string;
  readonly file: string;
  readonly intervalMs: number;
  readonly rules: readonly Rule[];
}

export const DEFAULT_INTERVAL_MS = 1000;

/** `knownMarkets`: when given, a rule's market must be one of them (a calendar is loaded). */
export function parseRuleFile(text: string, file: string, knownMarkets?: ReadonlySet<string>): GroupSpec {
  const raw = parseConfigText<RawRuleFile>(text, ruleFileSchema, file);
  const fail = (path: YamlPath, problem: string) => new ConfigError(file, lineOfPath(text, path), path.join('.'), problem);
  if (raw.market !== undefined && knownMarkets && !knownMarkets.has(raw.market))
    throw fail(['market'], `unknown market (calendar has ${[...knownMarkets].join(', ')})`);
  const rules: Rule[] = [];
  const seen = new Set<string>();
  raw.rules.forEach((r, i) => {
    if (seen.has(r.name)) throw fail(['rules', i, 'name'], `duplicate rule name ${JSON.stringify(r.name)} in this file`);
    seen.add(r.name);
    try {
      const rule = buildRule(r, raw.market);
      if (rule.scope.market !== undefined && knownMarkets && !knownMarkets.has(rule.scope.market))
        throw new RuleProblem(['market'], 'unknown market');
      rules.push(rule);
    } catch (err) {
      if (err instanceof RuleProblem) throw fail(['rules', i, ...err.path], err.message);
      throw err;
    }
  });
  return {
    name: raw.group ?? basename(file).replace(/\.ya?ml$/, ''),
    file,
    intervalMs: raw.interval ? parseDuration(raw.interval) : DEFAULT_INTERVAL_MS,
    rules,
  };
}
