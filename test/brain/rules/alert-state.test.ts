// The alert state machine as a table, in the spirit of Prometheus's TestAlertingRuleLabelsUpdate:
// a value per step → the state after that step.
import t from 'tap';
import { step, highestState, RESOLVED_RETENTION_MS, type AlertInstance } from '../../../brain/rules/alert-state.js';
import { compare } from '../../../brain/rules/kinds/base.js';
import type { RuleTiming } from '../../../brain/rules/rule.js';

const labels = { host: 'tp-a' };

/** Runs values (one per 1 s step, undefined = no observation) through step(); returns the states. */
function run(values: (number | undefined)[], level: { above: number; clear?: number }, timing: RuleTiming): string[] {
  let a: AlertInstance | undefined;
  return values.map((v, i) => {
    a = step(a, v === undefined ? undefined : compare(labels, v, level), i * 1000, timing);
    return a?.state ?? '-';
  });
}

t.test('values at t → state, for each timing', async (t) => {
  const cases: [string, (number | undefined)[], { above: number; clear?: number }, RuleTiming, string[]][] = [
    // Without `for`, an active value fires at once.
    ['fires at once without for', [1, 10, 10, 1], { above: 5 }, { forMs: 0, keepFiringForMs: 0 }, ['-', 'firing', 'firing', 'inactive']],
    // With for 2 s: pending at 1 s and 2 s, firing once active for 2 s.
    [
      'pending until for has passed',
      [10, 10, 10, 10],
      { above: 5 },
      { forMs: 2000, keepFiringForMs: 0 },
      ['pending', 'pending', 'firing', 'firing'],
    ],
    // Pending that clears is dropped (nobody was told), and starts over.
    [
      'pending that clears is dropped',
      [10, 1, 10, 10, 10],
      { above: 5 },
      { forMs: 2000, keepFiringForMs: 0 },
      ['pending', '-', 'pending', 'pending', 'firing'],
    ],
    // Hysteresis: fires above 5, holds between 2 and 5, resolves only at or below 2.
    [
      'the clear level holds a firing alert',
      [10, 4, 3, 2, 4],
      { above: 5, clear: 2 },
      { forMs: 0, keepFiringForMs: 0 },
      ['firing', 'firing', 'firing', 'inactive', 'inactive'],
    ],
    // The clear level is checked only while firing: 4 never starts anything.
    ['the clear level does not start an alert', [4, 4, 10], { above: 5, clear: 2 }, { forMs: 0, keepFiringForMs: 0 }, ['-', '-', 'firing']],
    // keep_firing_for 2 s: cleared at 1 s, still firing at 2 s, resolved at 3 s.
    [
      'keep_firing_for holds after clearing',
      [10, 1, 1, 1],
      { above: 5 },
      { forMs: 0, keepFiringForMs: 2000 },
      ['firing', 'firing', 'firing', 'inactive'],
    ],
    // Active again within keep_firing_for: stays firing, the hold restarts later.
    [
      'keep_firing_for is reset by a new active value',
      [10, 1, 10, 1, 1, 1],
      { above: 5 },
      { forMs: 0, keepFiringForMs: 2000 },
      ['firing', 'firing', 'firing', 'firing', 'firing', 'inactive'],
    ],
    // No observation (the series went away) clears like a low value.
    ['a missing observation resolves', [10, undefined], { above: 5 }, { forMs: 0, keepFiringForMs: 0 }, ['firing', 'inactive']],
    // A resolved alert that becomes active again is a new alert (pending again).
    [
      'resolved then active again',
      [10, 1, 10, 10],
      { above: 5 },
      { forMs: 1000, keepFiringForMs: 0 },
      ['pending', '-', 'pending', 'firing'],
    ],
  ];
  for (const [what, values, level, timing, want] of cases) t.same(run(values, level, timing), want, what);
});

t.test('timestamps: activeAt, firedAt, resolvedAt', async (t) => {
  const timing = { forMs: 1000, keepFiringForMs: 0 };
  const level = { above: 5 };
  let a = step(undefined, compare(labels, 10, level), 0, timing);
  a = step(a, compare(labels, 10, level), 1000, timing);
  t.equal(a?.activeAt, 0);
  t.equal(a?.firedAt, 1000);
  a = step(a, compare(labels, 1, level), 2000, timing);
  t.equal(a?.state, 'inactive');
  t.equal(a?.resolvedAt, 2000);
  t.equal(step(a, undefined, 2000 + RESOLVED_RETENTION_MS - 1, timing)?.state, 'inactive', 'kept for the retention period');
  t.equal(step(a, undefined, 2000 + RESOLVED_RETENTION_MS, timing), undefined, 'then dropped');
});

t.test('a rule state is the highest over its instances', async (t) => {
  const base = { labels, value: 1, activeAt: 0, firedAt: undefined, resolvedAt: undefined, keepFiringSince: undefined };
  t.equal(
    highestState([
      { ...base, state: 'pending' },
      { ...base, state: 'firing' },
      { ...base, state: 'inactive' },
    ]),
    'firing',
  );
  t.equal(highestState([]), 'inactive');
});
