import t from 'tap';
import type { Incident } from '../../../brain/incidents/incident.js';
import { incidentReport } from '../../../brain/incidents/report.js';

t.test('the markdown report keeps outside text inert: no link, image, HTML or new block', async (t) => {
  const hostile = 'fh-a exited ![x](http://evil.example/t.png) <img src=x onerror=alert(1)> [click](javascript:x)\n# Fake heading';
  const inc: Incident = {
    id: 'INC-0001',
    status: 'open',
    severity: 'major',
    title: hostile,
    causeKeys: [],
    roots: [],
    symptoms: [],
    impact: { hosts: ['ws_1'], components: [], pairs: [] },
    openedAt: 0,
    timeline: [{ at: 0, kind: 'note', by: 'mal*lory', text: hostile }],
    timelineDropped: 0,
  };
  const report = incidentReport(inc, 1000);
  t.equal(
    report.split('\n')[0],
    '# INC-0001: fh-a exited \\!\\[x\\](http://evil.example/t.png) \\<img src=x onerror=alert(1)\\> \\[click\\](javascript:x) \\# Fake heading',
  );
  t.notMatch(report, /^# Fake heading/m, 'the newline did not start a heading');
  t.notMatch(report, /(?<!\\)!\[|(?<!\\)<img|(?<!\\)\[click\]/, 'no live image, tag or link');
  t.match(report, /note \(mal\\\*lory\)/);
  t.match(report, /- Hosts: ws\\_1/);
});
