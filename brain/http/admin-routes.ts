/**
 * What only an admin may do: read the effective config (secrets replaced) and reload the rule
 * files now. A hand-over endpoint for the brain pair belongs here too, as `action: 'handover'`.
 */
import type { Route } from './route.js';

export const adminRoutes: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/config',
    action: 'config',
    handle: ({ deps }) => (deps.config ? { body: deps.config() } : { status: 404, body: { error: 'this brain exposes no config' } }),
  },
  {
    method: 'POST',
    path: '/api/rules/reload',
    action: 'rules.reload',
    body: {},
    handle: ({ deps }) => {
      if (!deps.reloadRules) return { status: 409, body: { error: 'rules are disabled on this brain' } };
      const r = deps.reloadRules();
      return { status: r.ok ? 200 : 422, body: r };
    },
  },
];
