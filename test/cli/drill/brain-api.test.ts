import t from 'tap';
import { deliveredPages, type Incident } from '../../../cli/drill/brain-api.js';

t.test("deliveredPages reads the brain's delivery entries, with or without the reason after them", async (t) => {
  const entry = (text: string, kind = 'page') => ({ at: 1, kind, text });
  const inc = {
    timeline: [
      entry('delivered by snpp (INC-0001/0/page/alice): first page'),
      entry('delivered by email (INC-0001/1/page/bob)'),
      entry('snpp attempt 1: sent 250 ok'),
      entry('delivered by snpp (INC-0001/2/page/carol)', 'note'),
    ],
  } as unknown as Incident;
  t.same(
    deliveredPages(inc).map((p) => [p.channel, p.step, p.kind, p.person]),
    [
      ['snpp', 0, 'page', 'alice'],
      ['email', 1, 'page', 'bob'],
    ],
  );
});
