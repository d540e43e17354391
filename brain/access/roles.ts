/**
 * Who may do what on the brain's HTTP API and wall board. Three roles, each including the one
 * before: a viewer reads (the board, incidents, agents, series, /metrics); an operator also acts
 * on incidents (acknowledge, note, silence, resolve); an admin also manages the brain (its
 * effective config, a rules reload, a hand-over to the pair's other brain).
 *
 * A route names the action it performs, never a role, so adding an endpoint is one line:
 * `{ action: 'handover', ... }` and `may(identity.role, 'handover')` decides.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const ACTIONS = {
  read: 'viewer',
  ack: 'operator',
  note: 'operator',
  silence: 'operator',
  resolve: 'operator',
  config: 'admin',
  'rules.reload': 'admin',
  handover: 'admin',
} as const satisfies Record<string, Role>;

export type Action = keyof typeof ACTIONS;

/** Whether `role` may perform `action`. */
export function may(role: Role, action: Action): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(ACTIONS[action]);
}

/** Every action the role may perform (the wall board shows only the controls it can use). */
export function actionsOf(role: Role): Action[] {
  return (Object.keys(ACTIONS) as Action[]).filter((a) => may(role, a));
}
