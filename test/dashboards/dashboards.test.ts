/**
 * The generated dashboards: regenerating gives the committed JSON byte for byte; each file
 * validates against Grafana's dashboard schema (from @grafana/schema); and our own lint: unique
 * uids, titles and panel ids, every query through the `$datasource` variable and bounded by
 * `$timeFilter`, every variable used defined.
 */
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { DATASOURCE_UID } from '../../dashboards/src/influxql.js';
import { JSON_DIR, renderDashboards } from '../../dashboards/src/generate.js';
import { dashboardQueries, type DashboardJson } from './queries.js';
import { grafanaDashboardSchema } from './grafana-schema.js';

const rendered = renderDashboards();
const committed = new Map(
  readdirSync(JSON_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, readFileSync(join(JSON_DIR, f), 'utf8')]),
);

t.test('regenerating gives the committed JSON (run `npm run dashboards` after changing dashboards/src)', async (t) => {
  t.same([...committed.keys()].sort(), [...rendered.keys()].sort(), 'the same files');
  for (const [name, text] of rendered) t.ok(committed.get(name) === text, `${name} unchanged`);
});

t.test("every dashboard validates against Grafana's dashboard schema", async (t) => {
  const { schema, version } = grafanaDashboardSchema();
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  // The schema can refuse: a misspelt panel key, a wrong type and an unknown panel field each fail
  // it (an empty or permissive schema would pass every dashboard and prove nothing).
  const [sampleName, sampleText] = [...committed][0]!;
  const spoilt: [string, (d: Record<string, unknown> & { panels: Record<string, unknown>[] }) => void][] = [
    ['a misspelt panel key (gridPoss)', (d) => (d.panels[0]!['gridPoss'] = d.panels[0]!['gridPos'])],
    ['a title that is a number', (d) => (d['title'] = 5)],
    ['schemaVersion as a string', (d) => (d['schemaVersion'] = '39')],
  ];
  for (const [what, spoil] of spoilt) {
    const d = JSON.parse(sampleText) as Record<string, unknown> & { panels: Record<string, unknown>[] };
    spoil(d);
    t.notOk(validate(d), `${sampleName} with ${what} is refused by the schema`);
  }
  for (const [name, text] of committed) {
    const ok = validate(JSON.parse(text));
    t.ok(ok, `${name} is a valid dashboard for @grafana/schema ${version}`, {
      errors: validate.errors?.slice(0, 10).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`),
    });
  }
});

t.test('lint: uids, titles, panel ids, data source, $timeFilter, variables', async (t) => {
  const dashboards = [...committed.values()].map((text) => JSON.parse(text) as DashboardJson);
  t.equal(new Set(dashboards.map((d) => d.uid)).size, dashboards.length, 'unique uids');
  t.equal(new Set(dashboards.map((d) => d.title)).size, dashboards.length, 'unique titles');
  for (const d of dashboards) {
    const ids = d.panels.map((p) => p.id);
    t.equal(new Set(ids).size, ids.length, `${d.title}: unique panel ids`);
    const defined = new Set(['timeFilter', '__interval', '__interval_ms', ...d.templating.list.map((v) => v.name)]);
    t.ok(
      d.templating.list.some((v) => v.type === 'datasource' && v.name === 'datasource'),
      `${d.title}: a $datasource variable`,
    );
    for (const q of dashboardQueries(d)) {
      const where = `${d.title} / ${q.panel}`;
      if (q.kind !== 'variable') t.match(q.query, /\$timeFilter/, `${where}: bounded by $timeFilter`);
      t.equal(q.datasource, '${datasource}', `${where}: through $datasource`);
      const used = [...q.query.matchAll(/\$(\w+)/g)].map((m) => m[1]!);
      t.same(
        used.filter((v) => !defined.has(v)),
        [],
        `${where}: every variable defined`,
      );
    }
  }
});

t.test('provisioning files: the data sources the dashboards default to, a file provider', async (t) => {
  const dir = join(JSON_DIR, '..', 'provisioning');
  const sources = readdirSync(join(dir, 'datasources')).map((f) => ({
    f,
    y: parse(readFileSync(join(dir, 'datasources', f), 'utf8')) as {
      apiVersion: number;
      datasources: { uid: string; type: string; jsonData: { dbName?: string } }[];
    },
  }));
  const influxql = sources.filter((s) => !s.f.includes('sql'));
  t.ok(influxql.length >= 2, 'InfluxQL data sources for 1.x and 2.x/3.x');
  for (const { f, y } of sources) {
    t.equal(y.apiVersion, 1, `${f}: apiVersion 1`);
    t.equal(y.datasources[0]?.type, 'influxdb', `${f}: an influxdb data source`);
    t.ok(y.datasources[0]?.jsonData.dbName, `${f}: jsonData.dbName (the top-level database key is deprecated)`);
  }
  for (const { f, y } of influxql) t.equal(y.datasources[0]?.uid, DATASOURCE_UID, `${f}: the uid $datasource defaults to`);
  const provider = parse(readFileSync(join(dir, 'dashboards', 'floorwatch.yaml'), 'utf8')) as {
    providers: { type: string; options: { path: string } }[];
  };
  t.equal(provider.providers[0]?.type, 'file');
});
