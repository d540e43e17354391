/**
 * The wall board in a real browser (Debian's chromium through playwright-core) against a real
 * brain, agent and wrapped process: a SIGKILL shows as a major incident card, hostile text in the
 * timeline stays text, the acknowledge button acknowledges, a mail's incident link opens its
 * timeline, and a brain that stops answering is said on the board instead of a frozen picture.
 */
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseBrainConfig } from '../../../brain/config.js';
import { startBrain } from '../../../brain/main.js';
import { silentLogger } from '../../../lib/log.js';
import { floorwatch, scratchDir, writeYaml, wrappedSleeper } from '../../helpers/floorwatch.js';
import { waitFor } from '../../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) t.skip(`${CHROMIUM} not installed (Debian package chromium)`);

async function openBoard(t: Test, url: string): Promise<{ page: Page; errors: string[] }> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, errors };
}

t.test('the wall board shows a killed process as a major incident, keeps hostile text inert, acknowledges, and says when the brain is gone', async (t) => {
  const dir = scratchDir(t);
  const brain = await startBrain(parseBrainConfig(`brain: {state_dir: ${dir}/brain}\nlisten: 127.0.0.1:0\nhttp: 127.0.0.1:0\nspool: {fsync: false}\n`), silentLogger);
  let brainStopped = false;
  t.teardown(() => (brainStopped ? undefined : brain.stop()));
  const socket = `${dir}/agent.sock`;
  const agentConfig = writeYaml(dir, 'agent.yaml', `agent: {id: fh-host-a, state_dir: ${dir}/agent, labels: {colour: red}}\nbrain: {addresses: ["127.0.0.1:${brain.grpcPort}"]}\nsamplers: {local: {path: ${socket}}}\n`);
  const agent = floorwatch(['agent', '--config', agentConfig]);
  t.teardown(() => agent.kill('SIGKILL'));
  await agent.line((l) => l['ready'] === 'agent');
  const pid = await wrappedSleeper(t, brain, socket, dir);

  const { page, errors } = await openBoard(t, `http://127.0.0.1:${brain.httpPort}/`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'floor OK', undefined, { timeout: 10_000 });
  t.equal(await page.getAttribute('#bar', 'data-status'), 'ok', 'the bar is green');
  t.match(await page.textContent('#colours'), /red\s*1\/1 up/, 'the agent counts under its colour');

  process.kill(pid, 'SIGKILL');
  const card = page.locator('.incident[data-severity="major"]');
  await card.waitFor({ timeout: 10_000 });
  t.match(await card.locator('.title').textContent(), /^fh-a exited on \S+ \(signal 9\)$/, 'the card names the process, the host and the signal');
  t.match(await page.textContent('#status'), /^MAJOR — 1 active incident$/);
  t.equal(await page.getAttribute('#bar', 'data-status'), 'major');

  const id = (await card.getAttribute('data-id'))!;
  const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const noted = await fetch(`http://127.0.0.1:${brain.httpPort}/api/incidents/${id}/note`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 'mallory', text: hostile }) });
  t.equal(noted.status, 200);
  await card.locator('.timeline-toggle').click();
  const note = page.locator('.timeline li[data-kind="note"]');
  await note.waitFor({ timeout: 5_000 });
  t.match(await note.textContent(), `mallory: ${hostile}`, 'the note shows as the text it is');
  t.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'and nothing in it ran');

  page.once('dialog', (d) => void d.accept('dave'));
  await card.locator('button.ack').click();
  await waitFor('the incident acknowledged by dave at the brain', () => (brain.incidents.get(id).ackedBy === 'dave' ? true : undefined));
  await page.waitForFunction(() => /acknowledged by dave/.test(document.querySelector('.incident')?.textContent ?? ''), undefined, { timeout: 5_000 });

  await page.goto(`http://127.0.0.1:${brain.httpPort}/incidents/${id}`);
  await page.locator(`.incident[data-id="${id}"] .timeline li[data-kind="ack"]`).waitFor({ timeout: 5_000 });
  t.pass('the link in page mails (/incidents/ID) opens the board with that timeline open');

  await brain.stop();
  brainStopped = true;
  const banner = page.locator('#stale');
  await banner.waitFor({ state: 'visible', timeout: 10_000 });
  t.match(await banner.textContent(), /brain not answering — the board shows data from \d+s ago/);
  t.equal(await page.locator('.incident').count(), 1, 'the last picture stays up under the banner');
  t.same(errors, [], 'no script error on the page');
});
