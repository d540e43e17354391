/**
 * The wall board in a real browser (Debian's chromium through playwright-core) against a real
 * brain, agent and wrapped process, with access control on: the board asks for a sign-in; a
 * viewer sees the SIGKILLed process's incident but no acknowledge control, and the API refuses
 * the viewer's POST (403); a page from another origin, in the same browser as a signed-in
 * operator, POSTs acks every way a page can (form, fetch with any content type) and changes
 * nothing; the operator acknowledges and the timeline names the operator; hostile text stays
 * text; a mail's incident link opens its timeline; a brain that stops answering is said on the
 * board instead of a frozen picture; the floor shows the host and a click opens its detail.
 *
 * Then the board on a real `floorwatch demo` at 1920×1080 (one demo for all of it): one screen
 * high with nothing cut; every host at its desk in its colour; a feed handler killed and a bond
 * down; an operator acknowledging on the board, named in the timeline; the floor, plant,
 * incident and host views taken as screenshots (kept in docs/console with
 * FLOORWATCH_CONSOLE_PNGS=docs/console); and a second board redrawing every 100 ms throughout,
 * whose JS heap and DOM must stay flat.
 */
import t, { type Test } from 'tap';
import { appendFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain, type BrainHandle } from '../../../brain/main.js';
import { writeBondState } from '../../../cli/demo/fixture-host.js';
import type { DemoLayout } from '../../../cli/demo/layout.js';
import { silentLogger } from '../../../lib/log.js';
import { testAccess } from '../../helpers/access.js';
import { demoReady, plantPidsOf, startDemo } from '../../helpers/demo.js';
import { floorwatch, getJson, scratchDir, writeYaml, wrappedSleeper } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
/** Redraws at least between the two heap measurements of the soak. */
const SOAK_REDRAWS = 120;
if (!existsSync(CHROMIUM)) t.skip(`${CHROMIUM} not installed (Debian package chromium)`, () => {});

async function launch(t: Test): Promise<Browser> {
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  t.teardown(() => browser.close());
  return browser;
}

/** One person's browser: its own cookie jar. */
const personsBrowser = (browser: Browser): Promise<BrowserContext> => browser.newContext({ viewport: { width: 1920, height: 1080 } });

async function openBoard(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

/**
 * A click through the DOM, at once: the board redraws every second, and on a busy machine a
 * pointer click's wait for a stable element can straddle redraws for good.
 */
async function clickNow(page: Page, selector: string): Promise<void> {
  await page.locator(selector).first().waitFor({ timeout: 10_000 });
  const clicked = await page.evaluate((s) => {
    const e = document.querySelector<HTMLElement>(s);
    e?.click();
    return e !== null;
  }, selector);
  if (!clicked) throw new Error(`nothing to click at ${selector}`);
}

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login button[type="submit"]');
  await page
    .locator('#who')
    .filter({ hasText: `${user} (` })
    .waitFor({ timeout: 10_000 });
}

/** Refusals of the HTTP side by reason, from /metrics. */
async function refused(brain: BrainHandle, reason: string): Promise<number> {
  const m = new RegExp(`^floorwatch_http_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(await brain.metrics.render());
  return Number(m?.[1] ?? 0);
}

/** A page on another origin (same host, another port: same site, so the SameSite cookie goes along). */
async function evilPage(t: Test, target: string): Promise<string> {
  const html = `<!doctype html><body>
<iframe name="sink"></iframe>
<form id="f" method="POST" action="${target}" enctype="text/plain" target="sink"><input name='{"note":"forged by a form","x":"' value='"}'></form>
<script>
window.results = [];
const tries = [
  ['no-cors text/plain', { mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"note":"forged"}' }],
  ['no-cors urlencoded', { mode: 'no-cors', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'note=forged' }],
  ['no-cors json', { mode: 'no-cors', headers: { 'content-type': 'application/json' }, body: '{"note":"forged"}' }],
  ['cors json', { mode: 'cors', headers: { 'content-type': 'application/json' }, body: '{"note":"forged"}' }],
];
(async () => {
  for (const [label, init] of tries) {
    try {
      const r = await fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', ...init });
      results.push(label + ': ' + r.type + ' ' + r.status);
    } catch (e) {
      results.push(label + ': ' + e.message);
    }
  }
  document.getElementById('f').submit();
  window.done = true;
})();
</script></body>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

t.test(
  'the wall board: sign-in, viewer without the acknowledge control, cross-origin acks refused, operator acknowledges by name',
  async (t) => {
    const dir = scratchDir(t);
    const access = await testAccess([
      { name: 'wall', role: 'viewer', password: 'viewer-password' },
      { name: 'alice', role: 'operator', password: 'operator-password' },
    ]);
    const brain = await startBrain(
      parseBrainConfig(`brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\n${access.yaml}`),
      silentLogger,
    );
    let brainStopped = false;
    t.teardown(() => (brainStopped ? undefined : brain.stop()));
    const api = `http://127.0.0.1:${brain.httpPort}`;
    const socket = `${dir}/agent.sock`;
    const agentConfig = writeYaml(
      dir,
      'agent.yaml',
      `agent: {id: fh-host-a, state_dir: ${dir}/agent, labels: {colour: red, desk: fx-spot}}\nbrain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}\nsamplers: {local: {path: ${socket}}, memory: {interval_ms: 250}, nic: {include: [lo], exclude: [], interval_ms: 250}}\n`,
    );
    const agent = floorwatch(['agent', '--config', agentConfig]);
    t.teardown(() => agent.kill('SIGKILL'));
    await agent.line((l) => l['ready'] === 'agent');
    const pid = await wrappedSleeper(t, brain, socket, dir);
    // The wrapper samples its child once a second: on a busy box the kill below could otherwise come
    // before the first sample, and the host's detail would have no row for fh-a to show.
    await waitFor('a usage sample of fh-a at the brain', () =>
      brain.series.ofAgent('fh-host-a').some((s) => s.measurement === 'process' && s.tags['process'] === 'fh-a'),
    );
    const browser = await launch(t);

    // A viewer: the board asks for a sign-in, then shows the floor but offers no acknowledge.
    const viewer = await openBoard(await personsBrowser(browser), `${api}/`);
    await signIn(viewer.page, 'wall', 'viewer-password');
    await viewer.page.waitForFunction(() => document.getElementById('status')?.textContent === 'floor OK', undefined, { timeout: 10_000 });
    t.match(await viewer.page.textContent('#colours'), /red\s*1\/1 up/, 'the agent counts under its colour');
    const tile = viewer.page.locator('.host[data-host="fh-host-a"]');
    t.same(
      [
        await tile.getAttribute('data-health'),
        await tile.getAttribute('data-colour'),
        await viewer.page.locator('.desk[data-desk="fx-spot"] .host').count(),
      ],
      ['ok', 'red', 1],
      'the floor panel shows the host itself, at its desk, in its colour, healthy',
    );
    process.kill(pid, 'SIGKILL');
    const card = viewer.page.locator('.incident[data-severity="major"]');
    await card.waitFor({ timeout: 10_000 });
    t.match(
      await card.locator('.title').textContent(),
      /^fh-a exited on \S+ \(signal 9\)$/,
      'the card names the process, the host and the signal',
    );
    t.match(await viewer.page.textContent('#status'), /^MAJOR — 1 active incident$/);
    const id = (await card.getAttribute('data-id'))!;
    t.equal(await card.locator('button.ack').count(), 0, 'the viewer gets no acknowledge control');
    const viewerPost = await viewer.page.evaluate(async (url) => {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return r.status;
    }, `/api/incidents/${id}/ack`);
    t.equal(viewerPost, 403, "the viewer's session POST is refused (403)");
    const viewerToken = await fetch(`${api}/api/incidents/${id}/ack`, {
      method: 'POST',
      headers: { ...access.bearer('wall'), 'content-type': 'application/json' },
      body: '{}',
    });
    t.equal(viewerToken.status, 403, `the viewer's token POST is refused (403): ${await viewerToken.text()}`);
    t.equal(brain.incidents.get(id).status, 'open', 'still open');
    await viewer.page.locator(`.host[data-host="fh-host-a"][data-health="major"]`).waitFor({ timeout: 10_000 });
    t.match(await tile.textContent(), `MAJOR ${id}`, "the host's tile turns to the incident's severity and names it");

    // A click on the host: its detail (NIC, dirty memory against writes, wrapped processes, events) with charts.
    await clickNow(viewer.page, '.host[data-host="fh-host-a"]');
    await viewer.page.locator('#host-panel tr[data-process="fh-a"]').waitFor({ timeout: 10_000 });
    t.equal(new URL(viewer.page.url()).pathname, '/hosts/fh-host-a', 'the address names the open host (a reload keeps it)');
    t.equal(await viewer.page.isVisible('#plant-panel'), false, 'in the plant panel’s place');
    const detail = await viewer.page.evaluate(() => ({
      nic: document.querySelector('#host-panel tr[data-nic="lo"]')?.textContent ?? null,
      memory: document.getElementById('host-memory')?.textContent ?? null,
      incidents: document.querySelector('.host-incidents')?.textContent ?? null,
      events: [...document.querySelectorAll('#host-events li')].map((li) => li.getAttribute('data-kind')),
      charts: [...document.querySelectorAll('#host-panel figure.chart-box')].map((f) => [
        f.querySelector('figcaption span')?.textContent,
        f.querySelectorAll('path.line').length,
      ]),
    }));
    t.match(detail.nic, /^loup/, `the NIC row: ${detail.nic}`);
    t.match(detail.memory, /dirty\d[\d.]* [KMG]?B.*writeback.*disk writes/, `dirty memory against writes: ${detail.memory}`);
    t.match(detail.incidents, `${id} MAJOR fh-a exited`, 'the incident touching the host');
    t.ok(
      detail.events.includes('process.exit') && detail.events.includes('process.start'),
      `recent events of the host: ${detail.events.join(', ')}`,
    );
    const chartTitles = detail.charts.map(([title]) => title);
    t.ok(
      ['NIC traffic', 'dirty and writeback (left) against writes (right)', 'CPU by process'].every((c) => chartTitles.includes(c)),
      `charts: ${JSON.stringify(detail.charts)}`,
    );
    await clickNow(viewer.page, '#host-panel button.close');
    await viewer.page.locator('#plant-panel').waitFor({ state: 'visible', timeout: 5_000 });
    t.equal(new URL(viewer.page.url()).pathname, '/', 'closed: the plant is back');

    // An operator signs in on another browser, then opens another origin's page in it.
    const operatorsBrowser = await personsBrowser(browser);
    const operator = await openBoard(operatorsBrowser, `${api}/`);
    await signIn(operator.page, 'alice', 'operator-password');
    await operator.page.locator(`.incident[data-id="${id}"] button.ack`).waitFor({ timeout: 10_000 });
    t.pass('the operator gets the acknowledge control');
    const before = { origin: await refused(brain, 'origin') };
    const evil = await operatorsBrowser.newPage();
    await evil.goto(await evilPage(t, `${api}/api/incidents/${id}/ack`));
    await evil.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, { timeout: 10_000 });
    const tries = await evil.evaluate(() => (window as unknown as { results: string[] }).results);
    const seen = await waitFor(
      'the form post and the three no-cors fetches refused for their origin',
      async () => {
        const n = (await refused(brain, 'origin')) - before.origin;
        return n >= 4 ? n : undefined;
      },
      { timeoutMs: 10_000 },
    ).catch(async () => {
      throw new Error(`origin refusals ${(await refused(brain, 'origin')) - before.origin} (want 4); the page saw: ${tries.join('; ')}`);
    });
    t.pass(`${seen} cross-origin POSTs (a form, fetches as text/plain, urlencoded and JSON) reached the brain and were refused`);
    t.ok(
      tries.some((r) => r.startsWith('cors json: ') && !r.includes(' 200')),
      `the JSON fetch died at its preflight: ${tries.join('; ')}`,
    );
    const afterAttack = brain.incidents.get(id);
    t.equal(afterAttack.status, 'open', 'no forged acknowledgement');
    t.same(
      afterAttack.timeline.filter((e) => e.kind === 'ack' || e.kind === 'note'),
      [],
      'nothing forged in the timeline',
    );

    // Hostile text stays text.
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const noted = await fetch(`${api}/api/incidents/${id}/note`, {
      method: 'POST',
      headers: { ...access.bearer('alice'), 'content-type': 'application/json' },
      body: JSON.stringify({ text: hostile }),
    });
    t.equal(noted.status, 200);
    await clickNow(operator.page, `.incident[data-id="${id}"] .timeline-toggle`);
    const note = operator.page.locator('.timeline li[data-kind="note"]');
    await note.waitFor({ timeout: 5_000 });
    t.match(await note.textContent(), `alice: ${hostile}`, 'the note shows as the text it is, by the token’s user');
    t.equal(await operator.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'and nothing in it ran');

    // The operator acknowledges: the timeline names the operator, not anything typed.
    await clickNow(operator.page, `.incident[data-id="${id}"] button.ack`);
    await waitFor('the incident acknowledged by alice at the brain', () =>
      brain.incidents.get(id).ackedBy === 'alice' ? true : undefined,
    );
    const ack = brain.incidents.get(id).timeline.find((e) => e.kind === 'ack');
    t.same({ by: ack?.by, text: ack?.text }, { by: 'alice', text: 'acknowledged: from the wall board' }, 'the timeline names the operator');
    await operator.page.waitForFunction(
      () => /acknowledged by alice/.test(document.querySelector('.incident')?.textContent ?? ''),
      undefined,
      { timeout: 5_000 },
    );

    await operator.page.goto(`${api}/incidents/${id}`);
    await operator.page.locator(`.incident[data-id="${id}"] .timeline li[data-kind="ack"]`).waitFor({ timeout: 5_000 });
    t.pass('the link in page mails (/incidents/ID) opens the board with that timeline open');

    await brain.stop();
    brainStopped = true;
    const banner = operator.page.locator('#stale');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    t.match(await banner.textContent(), /brain not answering — the board shows data from \d+s ago/);
    t.equal(await operator.page.locator('.incident').count(), 1, 'the last picture stays up under the banner');
    t.same([...viewer.errors, ...operator.errors], [], 'no script error on the boards');
  },
);

/**
 * A board left running with `?poll=100`: its JS heap after a forced GC, its DOM size and how
 * many times it has redrawn, on demand.
 */
async function soakBoard(context: BrowserContext, url: string, errors: string[]) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  const cdp = await context.newCDPSession(page);
  return async (atLeast: number) => {
    await page.waitForFunction((n) => Number(document.body.dataset['refreshes']) >= n, atLeast, { timeout: 120_000, polling: 200 });
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const dom = await page.evaluate(() => ({
      refreshes: Number(document.body.dataset['refreshes']),
      nodes: document.getElementsByTagName('*').length,
    }));
    return { ...dom, heap: heap.usedSize };
  };
}

/**
 * How the board sits on a 1920×1080 screen: the page is one screen (no page scroll), the panels
 * reach the bottom, and no table is cut at the right.
 */
async function fit(page: Page): Promise<{ pageHeight: number; mainBottom: number; cut: string[] }> {
  return page.evaluate(() => {
    const cut = [...document.querySelectorAll('section:not([hidden])')]
      .filter((s) => s.scrollWidth > s.clientWidth + 1)
      .map((s) => `${s.id} ${s.scrollWidth}>${s.clientWidth}`);
    return {
      pageHeight: document.documentElement.scrollHeight,
      mainBottom: Math.round(document.querySelector('main')!.getBoundingClientRect().bottom),
      cut,
    };
  });
}

t.test('the wall board on a real demo floor at 1920×1080: floor, plant, incident and host views (screenshots)', async (t) => {
  // FLOORWATCH_CONSOLE_PNGS=docs/console keeps them for the README; otherwise they go to scratch.
  const dir = process.env['FLOORWATCH_CONSOLE_PNGS'] ? resolve(process.env['FLOORWATCH_CONSOLE_PNGS']) : scratchDir(t, 'fw-console-png-');
  mkdirSync(dir, { recursive: true });
  const demo = await startDemo();
  t.teardown(demo.kill);
  await demoReady(demo, 60_000);
  const password = (user: string) => demo.stdout.map((l) => new RegExp(`\\b${user} / (\\S+) \\(`).exec(l)?.[1]).find(Boolean)!;
  const layout = await getJson<DemoLayout>(`${demo.demoUrl}/api/demo/layout`);
  const browser = await launch(t);
  const wall = await openBoard(await personsBrowser(browser), `${demo.api}/`);
  // Days on the wall in a minute: a second board redraws every 100 ms with a host open through
  // everything below (faults, incidents opening and resolving); its JS heap after a forced GC
  // and its DOM must stay where they were after its first redraws.
  const soakErrors: string[] = [];
  const soak = await soakBoard(await personsBrowser(browser), `${demo.api}/hosts/plant-host?poll=100`, soakErrors);
  const soakStart = await soak(30);
  const shot = async (page: Page, name: string) => {
    const f = await fit(page);
    t.same(f.cut, [], `${name}: no panel cut at the right`);
    t.ok(
      f.pageHeight <= 1080 && f.mainBottom >= 1000,
      `${name}: one screen, used to the bottom (page ${f.pageHeight} px high, panels end at ${f.mainBottom} px)`,
    );
    const file = join(dir, `${name}.png`);
    await page.screenshot({ path: file });
    t.ok(statSync(file).size > 20_000, `${file} (${statSync(file).size} bytes)`);
  };

  // The floor: every host at its desk, in its colour.
  await wall.page.waitForFunction(
    (n) => document.querySelectorAll('.host').length === n && document.querySelectorAll('#plant tbody tr').length >= 7,
    demo.agents,
    { timeout: 30_000 },
  );
  const tiles = await wall.page.evaluate(() =>
    [...document.querySelectorAll('.desk')].map(
      (d) =>
        `${d.getAttribute('data-desk')}: ${[...d.querySelectorAll('.host')].map((h) => `${h.getAttribute('data-host')}/${h.getAttribute('data-colour')}`).join(' ')}`,
    ),
  );
  t.match(
    tiles.join('\n'),
    /fx-spot: (ws-ldn-00\d\/(red|blue) ?){6}/,
    `six workstations at their desk in their colours: ${tiles.join('; ')}`,
  );
  await shot(wall.page, 'floor');

  // The brain pair: at the demo's address the primary's board, with the other brain and the
  // witness heard; the secondary's own board says it is the secondary and where the primary is.
  const pairRows = (page: Page) =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#pair tbody tr')].map((r): Record<string, string | undefined> => ({ ...r.dataset })),
    );
  await wall.page.waitForFunction(() => document.querySelectorAll('#pair tbody tr[data-late="false"]').length === 3, undefined, {
    timeout: 30_000,
  });
  const rows = await pairRows(wall.page);
  t.same(rows.map((r) => r['kind']).sort(), ['brain', 'brain', 'witness'], `both brains and the witness: ${JSON.stringify(rows)}`);
  const primaryRow = rows.find((r) => r['role'] === 'primary');
  t.equal(primaryRow?.['self'], 'true', 'the board at the demo address is the primary brain’s');
  const secondaryLeg = layout.brains!.legs.find((l) => l.id !== primaryRow?.['member'])!;
  const other = await openBoard(await personsBrowser(browser), `${secondaryLeg.url}/`);
  const summary = other.page.locator('#pair-summary', {
    hasText: `this board shows the secondary ${secondaryLeg.id}; primary: ${primaryRow?.['member']}`,
  });
  await summary.waitFor({ timeout: 30_000 });
  t.pass(`the secondary's own board: "${await summary.textContent()}"`);
  await other.page.close();

  // Two faults: the primary feed handler killed (the pair fails over; its wrapper restarts it),
  // and the fixture host's bond losing both slaves (held until the end: its incident stays open).
  const primary = (
    await getJson<{ tags: Record<string, string>; value: number }[]>(`${demo.api}/api/series?measurement=plant&field=primary`)
  ).find((s) => s.tags['pair'] === 'fh' && s.value === 1)!.tags['component']!;
  const victims = plantPidsOf(demo.stateDir, primary);
  t.equal(victims.length, 1, `the ${primary} process of this demo`);
  const f = layout.fixtureHost;
  writeBondState(f.sysRoot, { active: null, down: [...f.slaves] });
  appendFileSync(layout.logs.app, `${new Date().toISOString()} [FATAL] pricer: quote cache lost its feed\n`);
  t.teardown(() => writeBondState(f.sysRoot, { active: f.slaves[0], down: [] }));
  process.kill(victims[0]!, 'SIGKILL');
  const fhCard = wall.page.locator('.incident', { hasText: `feed handler ${primary} exited` });
  await fhCard.waitFor({ timeout: 30_000 });
  // The wrapper restarts it at once: on a busy machine the incident may already be over.
  await wall.page
    .locator(`.host[data-host="plant-host"]:not([data-health="ok"])`)
    .waitFor({ timeout: 5_000 })
    .catch(() => undefined);
  await shot(wall.page, 'plant');

  // The bond's incident, acknowledged by an operator on the board: the timeline names her.
  const bondCard = wall.page.locator('.incident', { hasText: `${f.bond} has no active slave on ${f.agent}` });
  await bondCard.waitFor({ timeout: 30_000 });
  const bondId = (await bondCard.getAttribute('data-id'))!;
  const alice = await openBoard(await personsBrowser(browser), `${demo.api}/incidents/${bondId}`);
  await clickNow(alice.page, '#who button.link');
  await signIn(alice.page, 'alice', password('alice'));
  await clickNow(alice.page, `.incident[data-id="${bondId}"] button.ack`);
  await alice.page
    .locator(`.incident[data-id="${bondId}"] .timeline li[data-kind="ack"]`, { hasText: 'alice: acknowledged: from the wall board' })
    .waitFor({ timeout: 10_000 });
  const acked = await getJson<{ acked_by?: string; ackedBy?: string; timeline: { kind: string; by?: string }[] }>(
    `${demo.api}/api/incidents/${bondId}`,
  );
  t.same(
    acked.timeline.filter((e) => e.kind === 'ack').map((e) => e.by),
    ['alice'],
    'the timeline names the operator who acknowledged on the board',
  );
  await shot(alice.page, 'incident');

  // The hosts behind them: the plant host's processes, NIC, memory and disk; the fixture host's bond.
  await clickNow(wall.page, '.host[data-host="plant-host"]');
  await wall.page.locator(`#host-events li[data-kind="process.exit"]`).first().waitFor({ timeout: 10_000 });
  await wall.page.locator('#host-panel tr[data-process="fh-a"]').waitFor({ timeout: 10_000 });
  await shot(wall.page, 'host');
  await clickNow(wall.page, `.host[data-host="${f.agent}"]`);
  const bond = wall.page.locator(`#host-panel .bond[data-bond="${f.bond}"]`);
  await wall.page.locator(`#host-panel .bond[data-bond="${f.bond}"][data-degraded="true"]`).waitFor({ timeout: 10_000 });
  t.match(await bond.textContent(), `slaves up 0/2 · active none`, 'the bond shows no active slave');
  const logEvent = wall.page.locator('#host-events li[data-kind="log.match"]').first();
  await logEvent.waitFor({ timeout: 10_000 });
  t.match(
    await logEvent.textContent(),
    /^\S+log\.matchrule=fatal line="\S+ \[FATAL\] pricer: quote cache lost its feed"/,
    'the log line the rule matched is among its recent events',
  );
  await shot(wall.page, 'host-bond');
  t.same([...wall.errors, ...alice.errors, ...soakErrors], [], 'no script error on the boards');

  const soakEnd = await soak(soakStart.refreshes + SOAK_REDRAWS);
  const growth = soakEnd.heap - soakStart.heap;
  t.ok(
    growth < 1024 * 1024,
    `JS heap after ${soakStart.refreshes} redraws ${(soakStart.heap / 1024).toFixed(0)} KB, after ${soakEnd.refreshes} ${(soakEnd.heap / 1024).toFixed(0)} KB (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(0)} KB)`,
  );
  // Incidents came and went meanwhile: a few elements more or fewer, never one per redraw.
  t.ok(Math.abs(soakEnd.nodes - soakStart.nodes) < 150, `DOM elements ${soakStart.nodes} then ${soakEnd.nodes}`);
  t.equal(await demo.stop(), 0, 'the demo stops cleanly');
});
