/**
 * The deterministic abbreviation table for pager text: whole words or phrases, case-insensitive,
 * longest phrase first, so the same incident always reads the same on every pager.
 */

export type Abbreviation = readonly [phrase: string, short: string];

export const defaultAbbreviations: readonly Abbreviation[] = [
  ['feed handler', 'FH'],
  ['ticker plant', 'TP'],
  ['market data', 'MD'],
  ['current value cache', 'CVC'],
  ['sequence gap', 'seqgap'],
  ['failed over', 'F/O'],
  ['fail-over', 'F/O'],
  ['failover', 'F/O'],
  ['primary', 'pri'],
  ['secondary', 'sec'],
  ['heartbeat', 'HB'],
  ['heartbeats', 'HBs'],
  ['not responding', 'no resp'],
  ['disconnected', 'disc'],
  ['connection', 'conn'],
  ['interface', 'if'],
  ['network', 'net'],
  ['latency', 'lat'],
  ['memory', 'mem'],
  ['process', 'proc'],
  ['restarted', 'rstrt'],
  ['gateway', 'GW'],
  ['exchange', 'exch'],
  ['database', 'DB'],
  ['workstation', 'ws'],
  ['london', 'LDN'],
  ['new york', 'NY'],
  ['singapore', 'SG'],
  ['tokyo', 'TYO'],
  ['milliseconds', 'ms'],
  ['seconds', 's'],
  ['minutes', 'min'],
  ['errors', 'errs'],
  ['error', 'err'],
  ['critical', 'crit'],
  ['warning', 'warn'],
];

interface CompiledAbbreviation {
  readonly pattern: RegExp;
  readonly short: string;
}

const compiledCache = new WeakMap<readonly Abbreviation[], readonly CompiledAbbreviation[]>();

export function abbreviate(text: string, table: readonly Abbreviation[] = defaultAbbreviations): string {
  let out = text;
  for (const { pattern, short } of compile(table)) out = out.replace(pattern, short);
  return out;
}

function compile(table: readonly Abbreviation[]): readonly CompiledAbbreviation[] {
  let compiled = compiledCache.get(table);
  if (!compiled) {
    // Longest first, then alphabetical: "feed handler" wins over "handler", and ties are stable.
    compiled = [...table]
      .sort((a, b) => b[0].length - a[0].length || a[0].localeCompare(b[0]))
      .map(([phrase, short]) => ({
        pattern: new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(phrase).replace(/ /g, '\\s+')}(?![\\p{L}\\p{N}])`, 'giu'),
        short,
      }));
    compiledCache.set(table, compiled);
  }
  return compiled;
}

function escapeRegExp(s: string): string {
  // Only syntax characters: the u flag refuses identity escapes such as \-.
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
