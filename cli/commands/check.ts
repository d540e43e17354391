/**
 * `floorwatch check FILE|DIR...`: validates configuration offline, the way `promtool check
 * config` and `promtool test rules` do, with the loaders the agent, brain and plant use.
 * Exit status: 0 every file valid (and every rule test passes); 1 a file is invalid or a rule
 * test fails (or, with --strict, a named file is missing); 2 usage: no such file, unreadable,
 * unknown --kind, or a kind that cannot be told (give --kind). Ansible's `validate:` runs it.
 */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { FloorwatchError } from '../../lib/errors.js';

export const CHECK_EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('validate agent, brain, rule, rule-test, calendar, topology, on-call and plant files offline; runs rule unit tests')
    .argument('[paths...]', 'files, or directories (every *.yaml in them, recursively)')
    .option('--kind <kind>', 'check every file as this kind instead of detecting it (--kinds lists them)')
    .option('--strict', 'a file the configuration names (TLS, rules dir, schedule) that is missing fails the check')
    .option('--kinds', 'list the kinds of file and exit')
    .addHelpText(
      'after',
      '\nExit status: 0 valid; 1 invalid (or a rule test fails); 2 usage (unreadable file, unknown or undetectable kind).',
    )
    .action(async (paths: string[], o: { kind?: string; strict?: boolean; kinds?: boolean }) => {
      const { KINDS } = await import('../check/kinds.js');
      if (o.kinds) {
        for (const k of KINDS) process.stdout.write(`${k.name.padEnd(13)} ${k.what}\n`);
        return;
      }
      if (o.kind && !KINDS.some((k) => k.name === o.kind))
        return usage(`unknown kind ${o.kind} (one of ${KINDS.map((k) => k.name).join(', ')})`);
      if (paths.length === 0) return usage('no files given (floorwatch check --help)');
      process.exitCode = await checkPaths(paths, o);
    });
}

function usage(message: string): void {
  process.stderr.write(`floorwatch check: ${message}\n`);
  process.exitCode = CHECK_EXIT.usage;
}

async function checkPaths(paths: string[], o: { kind?: string; strict?: boolean }): Promise<number> {
  const { checkText, kindNamed, yamlFilesIn } = await import('../check/kinds.js');
  const { detectKind } = await import('../check/detect.js');
  const { readConfigText } = await import('../../lib/config-file.js');
  let exit: number = CHECK_EXIT.ok;
  const worst = (code: number) => (exit = Math.max(exit, code));
  for (const path of paths) {
    let files: string[];
    try {
      files = statSync(path).isDirectory() ? yamlFilesIn(path) : [path];
    } catch (err) {
      process.stderr.write(`FAIL  ${path}: ${(err as Error).message}\n`);
      worst(CHECK_EXIT.usage);
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = readConfigText(file);
      } catch (err) {
        process.stderr.write(`FAIL  ${(err as FloorwatchError).message}\n`);
        worst(CHECK_EXIT.usage);
        continue;
      }
      const detected = o.kind ? { kind: kindNamed(o.kind)! } : detectKind(file, text);
      if ('ambiguous' in detected) {
        process.stderr.write(`FAIL  ${file}: cannot tell its kind (${detected.ambiguous.join(' or ')}): give --kind\n`);
        worst(CHECK_EXIT.usage);
        continue;
      }
      const out = checkText(detected.kind, file, text);
      for (const w of out.warnings) process.stderr.write(`${o.strict ? 'FAIL' : 'WARN'}  ${w}\n`);
      for (const p of out.problems) process.stderr.write(`FAIL  ${p}\n`);
      if (out.problems.length > 0 || (o.strict && out.warnings.length > 0)) worst(CHECK_EXIT.invalid);
      else process.stdout.write(`OK    ${file} (${detected.kind.name}): ${out.summary}\n`);
    }
  }
  return exit;
}
