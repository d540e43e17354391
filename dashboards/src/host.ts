/**
 * (b) A host: NICs and bonds, dirty memory against disk writes (the mmap-flush stall pattern, on
 * one panel with two axes), wrapped processes, log rules and what they extract, FIX sessions.
 */
import { annotation, bars, failoverAnnotations, newDashboard, row, states, statPanel, tagVariable, timeSeries, twoAxes } from './common.js';

const HOST = `"host" =~ /^$host$/ AND $timeFilter`;

export function hostDashboard() {
  return newDashboard('floorwatch-host', 'floorwatch / Host', 'One host (or several, to compare): network, memory against disk, processes, logs, FIX.')
    .withVariable(tagVariable('floor', 'Floor', 'SHOW TAG VALUES FROM "agent" WITH KEY = "floor"'))
    .withVariable(tagVariable('host', 'Host', 'SHOW TAG VALUES FROM "agent" WITH KEY = "host" WHERE "floor" =~ /^$floor$/'))
    .annotation(failoverAnnotations())
    .annotation(annotation('Host events', 'blue', `SELECT "message" AS "text", "kind" AS "tags" FROM "events" WHERE "severity" >= 2 AND ${HOST}`))
    .withPanel(statPanel('Carrier changes', 'none', [`SELECT sum("changes") FROM (SELECT spread("carrier_changes") AS "changes" FROM "nic" WHERE ${HOST} GROUP BY "host", "interface")`], { thresholds: [[1, 'orange']], description: 'Link flaps in the range, even those shorter than a poll.' }))
    .withPanel(statPanel('Bond slaves up', 'none', [`SELECT min("slaves_up") FROM "bond" WHERE ${HOST}`], { description: 'The worst moment of any bond in the range.' }))
    .withPanel(statPanel('Dirty memory (max)', 'bytes', [`SELECT max("dirty_bytes") FROM "memory" WHERE ${HOST}`]))
    .withRow(row('Network'))
    .withPanel(states('NIC link', { 0: ['down', 'red'], 1: ['up', 'green'] }, [`SELECT last("up") FROM "nic" WHERE ${HOST} GROUP BY time($__interval), "host", "interface" fill(previous)`]))
    .withPanel(
      timeSeries('NIC throughput', 'bps', [`SELECT mean("rx_bytes_per_s") * 8 AS "rx", mean("tx_bytes_per_s") * 8 AS "tx" FROM "nic" WHERE ${HOST} GROUP BY time($__interval), "host", "interface"`]),
    )
    .withPanel(
      timeSeries('NIC errors and drops', 'pps', [
        `SELECT mean("rx_errors_per_s") AS "rx errors", mean("tx_errors_per_s") AS "tx errors", mean("rx_dropped_per_s") AS "rx drops", mean("tx_dropped_per_s") AS "tx drops" FROM "nic" WHERE ${HOST} GROUP BY time($__interval), "host", "interface"`,
      ]),
    )
    .withPanel(
      states('Bond slaves: which is active', { 0: ['standby', 'blue'], 1: ['active', 'green'] }, [`SELECT last("active") FROM "bond_slave" WHERE ${HOST} GROUP BY time($__interval), "host", "bond", "slave" fill(previous)`], {
        description: 'A bond that failed over still carries traffic: one broken leg, fix it now.',
      }),
    )
    .withPanel(
      timeSeries('Bond slaves up and link failures', 'none', [
        `SELECT min("slaves_up") AS "slaves up", max("slaves_total") AS "slaves" FROM "bond" WHERE ${HOST} GROUP BY time($__interval), "host", "bond"`,
        `SELECT spread("link_failures") AS "link failures" FROM "bond" WHERE ${HOST} GROUP BY time($__interval), "host", "bond"`,
      ]),
    )
    .withRow(row('Memory and disk'))
    .withPanel(
      twoAxes(
        'Dirty memory and writeback against disk writes',
        'bytes',
        'Bps',
        [
          `SELECT max("dirty_bytes") AS "dirty", max("writeback_bytes") AS "writeback" FROM "memory" WHERE ${HOST} GROUP BY time($__interval), "host"`,
          `SELECT max("write_bytes_per_s") AS "disk writes" FROM "disk" WHERE ${HOST} GROUP BY time($__interval), "host", "device"`,
        ],
        'B',
        { w: 24, h: 10, description: 'Dirty pages jumping, then a write burst draining them: files mmap()ed and closed on a schedule (the latency spikes in the seeds). Left: bytes in memory; right: disk write throughput.' },
      ),
    )
    .withPanel(timeSeries('Memory available', 'bytes', [`SELECT mean("mem_available_bytes") AS "available", mean("mem_total_bytes") AS "total" FROM "memory" WHERE ${HOST} GROUP BY time($__interval), "host"`]))
    .withPanel(timeSeries('Disk operations', 'iops', [`SELECT mean("write_ops_per_s") AS "writes", mean("read_ops_per_s") AS "reads" FROM "disk" WHERE ${HOST} GROUP BY time($__interval), "host", "device"`]))
    .withRow(row('Wrapped processes'))
    .withPanel(timeSeries('CPU of wrapped processes', 'percent', [`SELECT mean("cpu_percent") FROM "process" WHERE ${HOST} GROUP BY time($__interval), "host", "process"`]))
    .withPanel(timeSeries('RSS of wrapped processes', 'bytes', [`SELECT mean("rss_bytes") FROM "process" WHERE ${HOST} GROUP BY time($__interval), "host", "process"`]))
    .withPanel(
      bars('Process exits and restarts', 'none', [
        `SELECT count("severity") AS "exits" FROM "events" WHERE "kind" = 'process.exit' AND ${HOST} GROUP BY time($__interval), "host", "process" fill(0)`,
        `SELECT count("severity") AS "restarts" FROM "events" WHERE "kind" = 'process.restart' AND ${HOST} GROUP BY time($__interval), "host", "process" fill(0)`,
      ]),
    )
    .withRow(row('Logs'))
    .withPanel(
      bars('Log rule matches', 'none', [`SELECT non_negative_difference(last("matches")) FROM "log_rule" WHERE ${HOST} GROUP BY time($__interval), "host", "rule", "level"`], {
        description: 'Lines matched by counting rules, per interval.',
      }),
    )
    .withPanel(
      timeSeries('Metrics extracted from logs', 'µs', [`SELECT mean("latency_us") AS "latency_us" FROM "log_rule" WHERE ${HOST} GROUP BY time($__interval), "host", "rule"`], {
        description: 'Values captured by metric rules (here the pricer latency from its application log).',
      }),
    )
    .withRow(row('FIX sessions'))
    .withPanel(
      states('FIX session logged on', { 0: ['logged out', 'red'], 1: ['logged on', 'green'] }, [`SELECT last("logged_on") FROM "fix_session" WHERE ${HOST} GROUP BY time($__interval), "host", "session" fill(previous)`], {
        description: "From the FIX engine's message log (log rule action fix).",
      }),
    )
    .withPanel(
      timeSeries('FIX TestRequest → Heartbeat round trip', 'µs', [
        `SELECT max("rtt_us") AS "max", mean("rtt_us") AS "mean" FROM "fix_session" WHERE ${HOST} GROUP BY time($__interval), "host", "session"`,
        `SELECT max("silence_ms") * 1000 AS "peer silent" FROM "fix_session" WHERE ${HOST} GROUP BY time($__interval), "host", "session"`,
      ], { description: 'Our TestRequest to their Heartbeat (TestReqID matched), and how long the peer has been silent.' }),
    )
    .withPanel(
      bars('FIX messages by type', 'none', [`SELECT non_negative_difference(last("count")) FROM "fix_messages" WHERE ${HOST} GROUP BY time($__interval), "session", "msg_name", "direction"`], { w: 24 }),
    )
    .withRow(row('floorwatch agent'))
    .withPanel(timeSeries('Agent queue', 'none', [`SELECT max("queue_pending_batches") AS "pending batches" FROM "agent" WHERE ${HOST} GROUP BY time($__interval), "host"`]))
    .withPanel(timeSeries('Agent memory', 'bytes', [`SELECT max("rss_bytes") AS "rss" FROM "agent" WHERE ${HOST} GROUP BY time($__interval), "host"`]));
}
