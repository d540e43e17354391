/**
 * Routing is a pure function: given an incident and an instant (its trading phase), the first
 * matching route wins, else the default. And the config is refused with file:line:field when a
 * route cannot work.
 */
import t from 'tap';
import { parseBrainConfig } from '../../../brain/config.js';
import { loadCalendarFile } from '../../../brain/calendar/load.js';
import { marketPhaseAt } from '../../../brain/calendar/phases.js';
import type { Incident } from '../../../brain/incidents/incident.js';
import { channelsOf, routeFor, routingFacts } from '../../../brain/notify/routing.js';

const config = parseBrainConfig(
  `paging:
  schedule: /etc/floorwatch/oncall.yaml
  snpp: {host: 127.0.0.1, port: 444}
  email: {host: 127.0.0.1, port: 25, from: fw@floor.example}
  routes:
    - name: market-data-open
      match: {team: [market-data], severity: [critical, major], phase: [bod, intraday]}
      schedule: /etc/floorwatch/oncall-md.yaml
    - name: market-data-quiet
      match: {team: [market-data]}
      urgency: low
    - name: fx-desks
      match: {host: ["fx-*"], labels: {desk: [fx-spot, fx-fwd]}}
      channels: [email, snpp]
      escalation: {steps: [{tier: back-line, after_s: 0}], repeat_every_s: 60, max_repeats: 1}
    - name: ticker-plants
      match: {component: ["tp-*"]}
`,
  'brain.yaml',
);
const routes = config.paging!.routes;
const calendar = loadCalendarFile(new URL('../../../rules/calendar/trading-day.yaml', import.meta.url).pathname).calendar;
const market = calendar.markets.get(calendar.defaultMarket ?? '')!;

function incident(o: {
  severity?: Incident['severity'];
  labels?: Record<string, string>;
  hosts?: string[];
  components?: string[];
}): Incident {
  return {
    id: 'INC-0001',
    status: 'open',
    severity: o.severity ?? 'major',
    title: 'x',
    causeKeys: [],
    roots: [
      {
        key: 'k',
        alertname: 'ProcessExited',
        labels: o.labels ?? {},
        text: 'x',
        state: 'firing',
        severity: o.severity ?? 'major',
        firedAt: 0,
      },
    ],
    symptoms: [],
    impact: { hosts: o.hosts ?? [], components: o.components ?? [], pairs: [] },
    openedAt: 0,
    timeline: [],
    timelineDropped: 0,
  };
}

/** A Monday in the default market's time zone: 03:00 closed, 10:00 intraday (London or New York alike). */
const monday = (hourLocal: number) => {
  for (let h = 0; h < 24; h++) {
    const at = Date.UTC(2026, 10, 23, h);
    const local = Number(new Intl.DateTimeFormat('en-GB', { timeZone: market.timeZone, hour: '2-digit', hourCycle: 'h23' }).format(at));
    if (local === hourLocal) return at;
  }
  throw new Error('no such hour');
};
const route = (inc: Incident, at: number) => routeFor(routes, routingFacts(inc), marketPhaseAt(market, at))?.name ?? 'default';

t.test('first matching route wins, phase taken at the instant', async (t) => {
  const md = incident({ labels: { team: 'market-data' }, severity: 'critical' });
  t.equal(marketPhaseAt(market, monday(10)), 'intraday');
  t.equal(route(md, monday(10)), 'market-data-open', 'critical market-data intraday');
  t.equal(route(md, monday(3)), 'market-data-quiet', 'same incident when the market is closed');
  t.equal(
    route(incident({ labels: { team: 'market-data' }, severity: 'minor' }), monday(10)),
    'market-data-quiet',
    'minor: severity does not match the first',
  );
});

t.test('host globs and labels, components from the impact', async (t) => {
  t.equal(route(incident({ hosts: ['fx-ws-01'], labels: { desk: 'fx-spot' } }), monday(10)), 'fx-desks');
  t.equal(route(incident({ hosts: ['fx-ws-01'], labels: { desk: 'rates' } }), monday(10)), 'default', 'the label value must match too');
  t.equal(route(incident({ labels: { host: 'fx-ws-02', desk: 'fx-fwd' } }), monday(10)), 'fx-desks', 'host from a root label');
  t.equal(route(incident({ components: ['tp-b'] }), monday(10)), 'ticker-plants');
  t.equal(route(incident({ labels: { component: 'tp-a' } }), monday(10)), 'ticker-plants', 'component from a root label');
  t.equal(route(incident({ hosts: ['eq-ws-01'] }), monday(10)), 'default', 'nothing matches: the default route');
});

t.test('channels and urgency', async (t) => {
  t.same(channelsOf(routes[0]), ['snpp', 'email'], 'high urgency: pager, then mail');
  t.same(channelsOf(routes[1]), ['email'], 'low urgency: mail only');
  t.same(channelsOf(routes[2]), ['email', 'snpp'], 'explicit chain');
  t.same(channelsOf(undefined), ['snpp', 'email'], 'default route');
  t.equal(routes[0]!.schedule, '/etc/floorwatch/oncall-md.yaml');
  t.equal(routes[2]!.escalation?.max_repeats, 1);
});

t.test('without a calendar a phase condition never matches', async (t) => {
  t.equal(
    routeFor(routes, routingFacts(incident({ labels: { team: 'market-data' }, severity: 'critical' })), undefined)?.name,
    'market-data-quiet',
  );
});

t.test('config errors name file:line:field', async (t) => {
  const head = `paging:
  schedule: /x.yaml
  email: {host: 127.0.0.1, port: 25, from: fw@floor.example}
  routes:
`;
  t.throws(() => parseBrainConfig(`${head}    - name: a\n      channels: [snpp]\n`, 'brain.yaml'), {
    message: 'brain.yaml:6: paging.routes.0.channels.0: channel "snpp" is not configured (no paging.snpp section)',
  });
  t.throws(() => parseBrainConfig(`${head}    - name: a\n    - name: b\n      match: {team: [x]}\n`, 'brain.yaml'), {
    message: /brain\.yaml:5: paging\.routes\.0\.match: only the last route/,
  });
  t.throws(() => parseBrainConfig(`${head}    - {name: a, match: {team: [x]}}\n    - {name: a}\n`, 'brain.yaml'), {
    message: /brain\.yaml:6: paging\.routes\.1\.name: route "a" is defined twice/,
  });
  t.throws(() => parseBrainConfig(`${head}    - name: a\n      match: {phase: [lunch]}\n`, 'brain.yaml'), {
    message: /brain\.yaml:6: paging\.routes\.0\.match\.phase\.0: must be one of/,
  });
  t.throws(() => parseBrainConfig(`${head}    - name: a\n      match: {}\n`, 'brain.yaml'), {
    message: /brain\.yaml:6: paging\.routes\.0\.match:/,
  });
  t.throws(
    () => parseBrainConfig(`paging:\n  schedule: /x.yaml\n  day_notices:\n    to: [{id: ops, name: Ops, email: ops@x}]\n`, 'brain.yaml'),
    { message: /brain\.yaml:4: paging\.day_notices: day notices are sent by email/ },
  );
});
