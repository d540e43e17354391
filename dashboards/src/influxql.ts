/**
 * InfluxQL targets for the foundation SDK, which has no InfluxDB query builder: a raw InfluxQL
 * query in the shape Grafana's own InfluxDB data source stores (`InfluxQuery` in Grafana's
 * public/app/plugins/datasource/influxdb/types.ts), built the SDK's custom-query way.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/** The provisioned data source (dashboards/provisioning/datasources/*.yaml), picked by `$datasource`. */
export const DATASOURCE_UID = 'floorwatch-influxdb';
export const DATASOURCE: common.DataSourceRef = { type: 'influxdb', uid: '${datasource}' };

export type ResultFormat = 'time_series' | 'table';

export interface InfluxQLQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  alias?: string;
}

export class InfluxQL implements cog.Builder<cog.Dataquery> {
  readonly #query: InfluxQLQuery;

  /** `query` must contain `$timeFilter` (checked by the dashboards test). */
  constructor(refId: string, query: string, resultFormat: ResultFormat = 'time_series', alias?: string) {
    this.#query = {
      refId,
      datasource: DATASOURCE,
      query: query.replace(/\s+/g, ' ').trim(),
      rawQuery: true,
      resultFormat,
      ...(alias ? { alias } : {}),
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQLQuery {
    return this.#query;
  }
}
