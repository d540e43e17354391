/** (a) The floor: which hosts report, by floor and checkerboard colour; agents gone silent; open incidents. */
import { annotation, failoverAnnotations, newDashboard, row, states, statPanel, tablePanel, tagVariable, timeSeries } from './common.js';

const WHERE = `"floor" =~ /^$floor$/ AND "colour" =~ /^$colour$/ AND $timeFilter`;

export function floorDashboard() {
  return newDashboard('floorwatch-floor', 'floorwatch / Floor', 'Every host of the floor by checkerboard colour: a whole colour dark points at shared equipment, not thirty hosts.')
    .withVariable(tagVariable('floor', 'Floor', 'SHOW TAG VALUES FROM "agent" WITH KEY = "floor"'))
    .withVariable(tagVariable('colour', 'Colour', 'SHOW TAG VALUES FROM "agent" WITH KEY = "colour" WHERE "floor" =~ /^$floor$/'))
    .annotation(annotation('Agents silent', 'purple', `SELECT "message" AS "text", "host" AS "tags" FROM "events" WHERE "kind" = 'agent.silent' AND ${WHERE}`))
    .annotation(failoverAnnotations())
    .withPanel(
      statPanel('Open incidents', 'none', [`SELECT last("incidents_active") FROM "brain" WHERE $timeFilter`], { thresholds: [[1, 'red']], description: 'Open or acknowledged, as the brain counts them.' }),
    )
    .withPanel(
      statPanel('Hosts reporting', 'none', [`SELECT count("last") FROM (SELECT last("rss_bytes") FROM "agent" WHERE "floor" =~ /^$floor$/ AND "colour" =~ /^$colour$/ AND time > now() - 1m GROUP BY "host") WHERE $timeFilter`], {
        description: 'Hosts whose agent reported in the last minute.',
      }),
    )
    .withPanel(
      statPanel('Agents gone silent', 'none', [`SELECT count("severity") FROM "events" WHERE "kind" = 'agent.silent' AND ${WHERE}`], { thresholds: [[1, 'red']], description: 'agent.silent events in the time range.' }),
    )
    .withRow(row('Checkerboard'))
    .withPanel(
      timeSeries('Hosts reporting, by colour', 'none', [`SELECT count("n") FROM (SELECT last("rss_bytes") AS "n" FROM "agent" WHERE ${WHERE} GROUP BY time($__interval), "host", "colour") GROUP BY time($__interval), "colour" fill(0)`], {
        description: 'Agents heard per interval, per colour. A colour dropping to zero at once is shared infrastructure (a hub, a power circuit).',
      }),
    )
    .withPanel(
      timeSeries('Agents gone silent, by colour', 'none', [`SELECT count("severity") FROM "events" WHERE "kind" = 'agent.silent' AND ${WHERE} GROUP BY time($__interval), "colour" fill(0)`]),
    )
    .withPanel(
      states('Each host: reporting or silent', { 0: ['silent', 'red'], 1: ['reporting', 'green'] }, [`SELECT count("rss_bytes") / count("rss_bytes") FROM "agent" WHERE ${WHERE} GROUP BY time($__interval), "colour", "host" fill(0)`], {
        w: 24,
        h: 10,
      }),
    )
    .withRow(row('Hosts'))
    .withPanel(
      tablePanel('Hosts by floor and colour (last heard)', [`SELECT last("rss_bytes") AS "agent rss", last("queue_pending_batches") AS "queued batches", last("reconnects") AS "reconnects" FROM "agent" WHERE ${WHERE} GROUP BY "floor", "colour", "desk", "host"`], { w: 24 }),
    )
    .withPanel(
      tablePanel('Recent major events', [`SELECT "message", "severity", "kind" FROM "events" WHERE "severity" >= 3 AND $timeFilter ORDER BY time DESC LIMIT 50`], { w: 24 }),
    );
}
