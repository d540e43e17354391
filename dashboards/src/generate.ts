/**
 * `npm run dashboards`: builds every dashboard and writes dashboards/json/<uid>.json, the files
 * Grafana provisions (dashboards/provisioning). The JSON is committed; the dashboards test
 * regenerates it and fails on any difference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brainDashboard } from './brain.js';
import { floorDashboard } from './floor.js';
import { hostDashboard } from './host.js';
import { pagingDashboard } from './paging.js';
import { plantDashboard } from './plant.js';

export const JSON_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'json');

/** The dashboards as the JSON text of each file, by file name. */
export function renderDashboards(): Map<string, string> {
  const files = new Map<string, string>();
  for (const builder of [floorDashboard(), hostDashboard(), plantDashboard(), pagingDashboard(), brainDashboard()]) {
    const d = builder.build();
    // Grafana wants panel ids unique within a dashboard; the builders leave them all 0.
    d.panels?.forEach((p, i) => (p.id = i + 1));
    // The SDK gives every variable the interval variable's auto* keys, which Grafana's schema
    // allows on interval variables only.
    for (const v of d.templating?.list ?? []) if (v.type !== 'interval') for (const key of ['auto', 'auto_min', 'auto_count'] as const) delete v[key];
    files.set(`${d.uid}.json`, JSON.stringify(d, null, 2) + '\n');
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(JSON_DIR, { recursive: true });
  for (const [name, text] of renderDashboards()) writeFileSync(join(JSON_DIR, name), text);
  process.stdout.write(`wrote ${[...renderDashboards().keys()].join(', ')} to ${JSON_DIR}\n`);
}
