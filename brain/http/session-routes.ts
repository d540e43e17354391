/**
 * The wall board's login: POST /api/session {"user", "password"} sets the session cookie
 * (HttpOnly, SameSite=Strict, Secure under TLS), DELETE /api/session clears it, GET /api/session
 * says who the caller is and what they may do (the board shows only the controls they can use).
 */
import { actionsOf } from '../access/roles.js';
import { SESSION_COOKIE } from '../access/session-cookie.js';
import type { Identity } from '../access/access.js';
import { Refusal } from './guard.js';
import { text } from './params.js';
import type { Route } from './route.js';

function whoami(who: Identity | undefined, anonymousRead: boolean): unknown {
  return {
    user: who && who.via !== 'anonymous' ? who.name : null,
    role: who?.role ?? null,
    via: who?.via ?? null,
    actions: who ? actionsOf(who.role) : [],
    anonymous_read: anonymousRead,
  };
}

export function sessionCookie(value: string, maxAgeS: number, tls: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}`;
}

export const sessionRoutes: readonly Route[] = [
  { method: 'GET', path: '/api/session', action: 'public', handle: ({ who, deps }) => ({ body: whoami(who, deps.access.anonymousRead) }) },
  {
    method: 'POST',
    path: '/api/session',
    action: 'public',
    body: { user: text(64, true), password: text(1024, true) },
    handle: async ({ deps, body, tls }) => {
      const r = await deps.access.login(body['user'] as string, body['password'] as string);
      if (!r.ok && r.why === 'busy') throw new Refusal(429, 'other logins are being checked; try again in a second', 'login_busy');
      if (!r.ok) throw new Refusal(401, 'unknown user or wrong password', 'login_refused');
      return {
        body: whoami(r.identity, deps.access.anonymousRead),
        headers: { 'set-cookie': sessionCookie(r.cookie, Math.floor(deps.access.ttlMs / 1000), tls) },
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/session',
    action: 'public',
    body: {},
    handle: ({ deps, tls }) => ({
      body: whoami(undefined, deps.access.anonymousRead),
      headers: { 'set-cookie': sessionCookie('', 0, tls) },
    }),
  },
];
