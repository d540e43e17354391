/** (d) Paging and incidents: incidents by severity, time to acknowledge, pages by channel and outcome. */
import { barChart, bars, newDashboard, row, statPanel, tablePanel, timeSeries } from './common.js';

export function pagingDashboard() {
  return newDashboard('floorwatch-paging', 'floorwatch / Paging and incidents', 'What the brain concluded and whom it told: incidents, acknowledgements, every page attempt.')
    .withPanel(statPanel('Incidents opened', 'none', [`SELECT count("id") FROM "incidents" WHERE "change" = 'opened' AND $timeFilter`]))
    .withPanel(statPanel('Mean time to acknowledge', 's', [`SELECT mean("ack_s") FROM "incidents" WHERE "change" = 'acknowledged' AND $timeFilter`]))
    .withPanel(statPanel('Pages delivered', 'none', [`SELECT count("incident") FROM "pages" WHERE "outcome" = 'delivered' AND $timeFilter`], { description: 'Failed attempts and fall-backs: "Pages by channel and outcome" below.' }))
    .withRow(row('Incidents'))
    .withPanel(bars('Incidents by severity', 'none', [`SELECT count("id") FROM "incidents" WHERE "change" = 'opened' AND $timeFilter GROUP BY time($__interval), "severity" fill(0)`]))
    .withPanel(
      timeSeries('Time to acknowledge and time open', 's', [
        `SELECT max("ack_s") AS "to acknowledge" FROM "incidents" WHERE "change" = 'acknowledged' AND $timeFilter GROUP BY time($__interval), "severity"`,
        `SELECT max("open_s") AS "open for" FROM "incidents" WHERE "change" = 'resolved' AND $timeFilter GROUP BY time($__interval), "severity"`,
      ]),
    )
    .withPanel(tablePanel('Incidents', [`SELECT "id", "severity", "title", "root_cause", "hosts" FROM "incidents" WHERE "change" = 'opened' AND $timeFilter ORDER BY time DESC LIMIT 100`], { w: 24 }))
    .withRow(row('Pages'))
    .withPanel(bars('Pages by channel and outcome', 'none', [`SELECT count("incident") FROM "pages" WHERE $timeFilter GROUP BY time($__interval), "channel", "outcome" fill(0)`]))
    .withPanel(barChart('Pages by channel and outcome (range)', [`SELECT count("incident") AS "pages" FROM "pages" WHERE $timeFilter GROUP BY "channel", "outcome"`]))
    .withPanel(bars('Pages by escalation step', 'none', [`SELECT count("incident") FROM "pages" WHERE "outcome" = 'delivered' AND $timeFilter GROUP BY time($__interval), "step" fill(0)`], { w: 24 }));
}
