/** (e) The brain itself, from its own `brain` points: ingest rate, store lag, spool, store, memory. */
import { annotation, newDashboard, row, statPanel, tagVariable, timeSeries } from './common.js';

const BRAIN = `"brain" =~ /^$brain$/ AND $timeFilter`;

export function brainDashboard() {
  return newDashboard('floorwatch-brain', 'floorwatch / Brain', 'The monitor monitored: what it ingests, how far the store is behind, its spool and its memory.')
    .withVariable(tagVariable('brain', 'Brain', 'SHOW TAG VALUES FROM "brain" WITH KEY = "brain"'))
    .annotation(
      annotation('Store outages and silent agents', 'orange', `SELECT "message" AS "text", "kind" AS "tags" FROM "events" WHERE "kind" =~ /^(store\.(down|up)|agent\.silent)$/ AND $timeFilter`),
    )
    .withPanel(statPanel('Agents connected', 'none', [`SELECT last("agents_connected") FROM "brain" WHERE ${BRAIN}`]))
    .withPanel(statPanel('Store up', 'none', [`SELECT last("store_up") FROM "brain" WHERE ${BRAIN}`], { thresholds: [[0, 'red'], [1, 'green']] }))
    .withPanel(statPanel('Store lag', 'none', [`SELECT last("store_lag_lines") FROM "brain" WHERE ${BRAIN}`], { thresholds: [[10_000, 'orange']] }))
    .withRow(row('Ingest'))
    .withPanel(
      timeSeries('Ingest rate', 'ops', [`SELECT mean("samples_per_s") AS "samples/s", mean("events_per_s") AS "events/s", mean("batches_per_s") AS "batches/s" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]),
    )
    .withPanel(timeSeries('Agents and series', 'none', [`SELECT last("agents_connected") AS "connected", last("agents_known") AS "known", last("series") AS "series" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]))
    .withRow(row('Store'))
    .withPanel(
      timeSeries('Store lag and write rate', 'none', [
        `SELECT max("store_lag_lines") AS "lag (lines)" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`,
        `SELECT mean("store_forwarded_lines_per_s") AS "written lines/s" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`,
      ], { description: 'Lines spooled and not yet in the store; the rate the store takes them.' }),
    )
    .withPanel(
      timeSeries('Spool', 'bytes', [`SELECT max("spool_bytes") AS "spool" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`, `SELECT last("spool_dropped_lines") AS "dropped lines" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]),
    )
    .withPanel(
      timeSeries('Store health', 'none', [`SELECT min("store_up") AS "up", last("store_rejected_lines") AS "rejected lines" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]),
    )
    .withPanel(timeSeries('Incidents active', 'none', [`SELECT max("incidents_active") AS "active" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]))
    .withRow(row('Process'))
    .withPanel(timeSeries('Brain memory', 'bytes', [`SELECT max("rss_bytes") AS "rss", max("heap_used_bytes") AS "heap" FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]))
    .withPanel(timeSeries('Event-loop delay p99', 'ms', [`SELECT max("event_loop_delay_p99_ms") FROM "brain" WHERE ${BRAIN} GROUP BY time($__interval), "brain"`]));
}
