/** alice, first line around the clock, by pager (oncall-ldn) and email: the on-call schedule of the paging tests and benchmark. */
export const ALICE_ON_CALL = `people:
  alice: { name: Alice Ng, pager: oncall-ldn, email: alice@floor.example, timeZone: Europe/London }
rotations:
  - { name: always, tier: first-line, timeZone: UTC, start: "00:00", end: "24:00", people: [alice] }
`;
