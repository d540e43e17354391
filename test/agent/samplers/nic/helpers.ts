/** Building NIC samplers and sysfs/procfs fixture trees for the NIC tests. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../../lib/clock.js';
import { parseConfigText } from '../../../../lib/config-file.js';
import { silentLogger } from '../../../../lib/log.js';
import { NicSampler, nicPlugin, type NicConfig } from '../../../../agent/samplers/nic/nic.js';

export const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/samplers/nic');

/** The plugin's defaults, overridden by `yaml` (a config section). */
export function nicConfig(yaml = ''): NicConfig {
  return parseConfigText<NicConfig>(yaml, nicPlugin.schema, 'test');
}

export function nicSampler(clock: Clock, roots: { procRoot?: string; sysRoot?: string }, yaml = ''): NicSampler {
  return new NicSampler(nicConfig(yaml), {
    clock,
    log: silentLogger,
    procRoot: roots.procRoot ?? '/proc',
    sysRoot: roots.sysRoot ?? '/sys',
    stateDir: tmpdir(),
  });
}

/** A writable copy of the captured /sys/class/net tree; removed by the returned cleanup. */
export function tempTree(prefix: string): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function copyCapturedSys(root: string): string {
  const sysRoot = join(root, 'sys');
  cpSync(join(fixtures, 'sys'), sysRoot, { recursive: true });
  return sysRoot;
}

/** Writes `text` at root/rel, creating directories; in place, as the kernel's files change. */
export function put(root: string, rel: string, text: string): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
