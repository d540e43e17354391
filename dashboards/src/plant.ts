/**
 * (c) The market-data plant: each pair's primary over time, heartbeat age, fail-overs, sequence
 * gaps, stale symbols, latency percentiles and update rates ("the plant fails over silently;
 * the monitoring must not be silent about it").
 */
import { bars, failoverAnnotations, newDashboard, row, states, statPanel, tagVariable, timeSeries } from './common.js';

const COMPONENT = `"component" =~ /^$component$/ AND $timeFilter`;

export function plantDashboard() {
  return newDashboard('floorwatch-plant', 'floorwatch / Plant', 'Feed handlers and ticker plants in their primary/secondary pairs, from the health heartbeats the brain receives.')
    .withVariable(tagVariable('component', 'Component', 'SHOW TAG VALUES FROM "plant" WITH KEY = "component"'))
    .annotation(failoverAnnotations())
    .withPanel(statPanel('Fail-overs', 'none', [`SELECT count("severity") FROM "events" WHERE "kind" = 'plant.role_change' AND "to" = 'primary' AND ${COMPONENT}`], { thresholds: [[1, 'orange']] }))
    .withPanel(statPanel('Unrecoverable gaps', 'none', [`SELECT spread("gaps_unrecoverable") FROM "plant" WHERE ${COMPONENT}`], { thresholds: [[1, 'red']] }))
    .withPanel(statPanel('Stale symbols (max)', 'none', [`SELECT max("stale_symbols") FROM "plant" WHERE ${COMPONENT}`], { thresholds: [[1, 'orange']] }))
    .withRow(row('Pairs'))
    .withPanel(
      states('Role in its pair', { 0: ['secondary', 'blue'], 1: ['primary', 'green'] }, [`SELECT last("primary") FROM "plant" WHERE "pair" =~ /.+/ AND ${COMPONENT} GROUP BY time($__interval), "pair", "component" fill(previous)`], {
        description: 'Who is primary of each pair; a swap is a fail-over.',
      }),
    )
    .withPanel(
      states('Health state', { 0: ['ok', 'green'], 1: ['starting', 'blue'], 2: ['degraded', 'yellow'], 3: ['stale', 'orange'], 4: ['down', 'red'] }, [`SELECT max("state") FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "component" fill(previous)`]),
    )
    .withPanel(
      timeSeries('Heartbeat age of the pair peer', 'ms', [`SELECT max("peer_heartbeat_age_ms") FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "pair", "component"`], {
        description: 'How long since each member heard its peer: the fail-over counts missed heartbeats on this.',
      }),
    )
    .withPanel(bars('Fail-overs, by pair', 'none', [`SELECT count("severity") FROM "events" WHERE "kind" = 'plant.role_change' AND "to" = 'primary' AND ${COMPONENT} GROUP BY time($__interval), "pair" fill(0)`]))
    .withRow(row('Data'))
    .withPanel(
      timeSeries('Sequence gaps', 'none', [
        `SELECT non_negative_difference(last("gaps_detected")) AS "detected", non_negative_difference(last("gaps_recovered")) AS "recovered", non_negative_difference(last("gaps_unrecoverable")) AS "unrecoverable" FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "component"`,
      ]),
    )
    .withPanel(timeSeries('Stale symbols', 'none', [`SELECT max("stale_symbols") FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "component"`]))
    .withPanel(
      timeSeries('Latency percentiles', 'µs', [`SELECT max("latency_p50_us") AS "p50", max("latency_p99_us") AS "p99", max("latency_p999_us") AS "p99.9" FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "component"`], {
        w: 24,
        description: 'Per component, from its own histogram: provider to this hop.',
      }),
    )
    .withPanel(timeSeries('Updates in', 'ops', [`SELECT mean("in_per_s") FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "component"`]))
    .withPanel(timeSeries('Updates out', 'ops', [`SELECT mean("out_per_s") FROM "plant" WHERE ${COMPONENT} GROUP BY time($__interval), "component"`]));
}
