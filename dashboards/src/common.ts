/**
 * What every floorwatch dashboard shares: the data source and template variables, annotation
 * queries over the brain's `incidents` and `events`, and small panel factories, so each
 * dashboard module only says what it shows. Layout follows Node Exporter Full: "is it OK?" at
 * the top, detail below in rows by subsystem.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import { DATASOURCE, DATASOURCE_UID, InfluxQL, type ResultFormat } from './influxql.js';

export { DATASOURCE };

/** A new dashboard with floorwatch's defaults: last hour, shared crosshair, refreshing, incidents annotated. */
export function newDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['floorwatch'])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .refresh('30s')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('InfluxDB').type('influxdb').current({ text: 'floorwatch', value: DATASOURCE_UID }))
    .annotation(incidentAnnotations())
    .link(new dashboard.DashboardLinkBuilder('floorwatch').type(dashboard.DashboardLinkType.Dashboards).tags(['floorwatch']).asDropdown(true).keepTime(true).includeVars(true));
}

/** A tag-value variable, multi-select with All (`.*`), used as `=~ /^$name$/`. */
export function tagVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/**
 * An annotation query over InfluxDB. Its columns are named as Grafana's annotation processing
 * expects (`text`, `tags`), so no field mapping is needed (Grafana's dashboard schema has none).
 */
export function annotation(name: string, colour: string, query: string): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder().name(name).datasource(DATASOURCE).enable(true).iconColor(colour).target(new InfluxQL('Anno', query, 'table'));
}

/** Incidents opened, acknowledged and resolved, on every time series of the dashboard. */
export const incidentAnnotations = () =>
  annotation('Incidents', 'red', `SELECT "text", "severity" AS "tags" FROM "incidents" WHERE $timeFilter`);

/** Plant pairs and bonds failing over. */
export const failoverAnnotations = () =>
  annotation(
    'Fail-overs',
    'orange',
    `SELECT "message" AS "text", "kind" AS "tags" FROM "events" WHERE ("kind" = 'plant.role_change' OR "kind" = 'bond.failover') AND $timeFilter`,
  );

export type Query = string | { query: string; alias?: string };
const targets = (queries: Query[], format: ResultFormat) =>
  queries.map((q, i) => (typeof q === 'string' ? new InfluxQL(String.fromCharCode(65 + i), q, format) : new InfluxQL(String.fromCharCode(65 + i), q.query, format, q.alias)));

export interface PanelSize {
  w?: number;
  h?: number;
  description?: string;
}

export function timeSeries(title: string, unit: string, queries: Query[], o: PanelSize = {}): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .span(o.w ?? 12)
    .height(o.h ?? 8)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(true)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true));
  for (const t of targets(queries, 'time_series')) p.withTarget(t);
  return o.description ? p.description(o.description) : p;
}

/** A time series whose query `rightRefId` is drawn against a second axis on the right, in `rightUnit`. */
export function twoAxes(title: string, leftUnit: string, rightUnit: string, queries: Query[], rightRefId: string, o: PanelSize = {}): timeseries.PanelBuilder {
  return timeSeries(title, leftUnit, queries, o).overrideByQuery(rightRefId, [
    { id: 'custom.axisPlacement', value: common.AxisPlacement.Right },
    { id: 'unit', value: rightUnit },
    { id: 'custom.drawStyle', value: common.GraphDrawStyle.Bars },
    { id: 'custom.fillOpacity', value: 60 },
  ]);
}

export function bars(title: string, unit: string, queries: Query[], o: PanelSize = {}): timeseries.PanelBuilder {
  return timeSeries(title, unit, queries, o).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(70).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
}

export function statPanel(title: string, unit: string, queries: Query[], o: PanelSize & { thresholds?: [number, string][] } = {}): stat.PanelBuilder {
  const steps = [{ value: null, color: 'green' }, ...(o.thresholds ?? []).map(([value, color]) => ({ value, color }))];
  const p = new stat.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .unit(unit)
    .span(o.w ?? 4)
    .height(o.h ?? 4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
  for (const t of targets(queries, 'time_series')) p.withTarget(t);
  return o.description ? p.description(o.description) : p;
}

/** A state timeline, values mapped to words and colours (`1: ['primary', 'green']`). */
export function states(title: string, mapping: Record<number, [string, string]>, queries: Query[], o: PanelSize = {}): statetimeline.PanelBuilder {
  const options = Object.fromEntries(Object.entries(mapping).map(([value, [text, color]], index) => [value, { text, color, index }]));
  const p = new statetimeline.PanelBuilder()
    .title(title)
    .datasource(DATASOURCE)
    .span(o.w ?? 12)
    .height(o.h ?? 8)
    .showValue(common.VisibilityMode.Never)
    .mappings([{ type: dashboard.MappingType.ValueToText, options }]);
  for (const t of targets(queries, 'time_series')) p.withTarget(t);
  return o.description ? p.description(o.description) : p;
}

export function tablePanel(title: string, queries: Query[], o: PanelSize = {}): table.PanelBuilder {
  const p = new table.PanelBuilder().title(title).datasource(DATASOURCE).span(o.w ?? 12).height(o.h ?? 8);
  for (const t of targets(queries, 'table')) p.withTarget(t);
  return o.description ? p.description(o.description) : p;
}

export function barChart(title: string, queries: Query[], o: PanelSize = {}): barchart.PanelBuilder {
  const p = new barchart.PanelBuilder().title(title).datasource(DATASOURCE).span(o.w ?? 12).height(o.h ?? 8).stacking(common.StackingMode.Normal);
  for (const t of targets(queries, 'table')) p.withTarget(t);
  return o.description ? p.description(o.description) : p;
}

export const row = (title: string) => new dashboard.RowBuilder(title);
